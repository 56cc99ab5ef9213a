package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"rocketsim/namesrv/routes"
)

// RegisterBody is Java's RegisterBrokerBody: the broker's topic table with its
// data version, and its filter servers.
type RegisterBody struct {
	DataVersion   routes.DataVersion
	Topics        map[string]routes.TopicConfig
	FilterServers []string
}

// TopicFilterTypeDefault is Java's TopicFilterType.SINGLE_TAG.
const TopicFilterTypeDefault = "SINGLE_TAG"

// Bounds on a compressed registration body: the inflated size and the topic
// count. They keep a hostile or corrupt body from exhausting memory; a real
// broker with 100k topics stays well inside them.
const (
	RegisterInflatedMax = 64 << 20
	RegisterTopicsMax   = 1 << 20
)

// EncodeRegisterBody writes the body as JSON (compressed=false) or in Java's
// compressed form: zlib over int32-length-prefixed parts (DataVersion JSON,
// topic count, each topic as "name read write perm filterType", filter
// server JSON array). The compressed form loses topicSysFlag and order, as
// Java's does.
func EncodeRegisterBody(b RegisterBody, compressed bool) []byte {
	if !compressed {
		var w writer
		w.raw(`{"filterServerList":`)
		fs := b.FilterServers
		if fs == nil {
			fs = []string{}
		}
		w.strings(fs)
		w.raw(`,"topicConfigSerializeWrapper":{"dataVersion":`)
		writeDataVersion(&w, b.DataVersion)
		w.raw(`,"topicConfigTable":{`)
		for i, name := range slices.Sorted(maps.Keys(b.Topics)) {
			tc := b.Topics[name]
			if i > 0 {
				w.raw(",")
			}
			w.str(name)
			w.raw(`:{"order":`)
			w.bool(tc.Order)
			w.raw(`,"perm":`)
			w.int(int64(tc.Perm))
			w.raw(`,"readQueueNums":`)
			w.int(int64(tc.ReadQueueNums))
			w.raw(`,"topicFilterType":`)
			w.str(filterType(tc))
			w.raw(`,"topicName":`)
			w.str(tc.TopicName)
			w.raw(`,"topicSysFlag":`)
			w.int(int64(tc.TopicSysFlag))
			w.raw(`,"writeQueueNums":`)
			w.int(int64(tc.WriteQueueNums))
			w.raw("}")
		}
		w.raw("}}}")
		return w.b
	}
	var raw bytes.Buffer
	part := func(p []byte) {
		raw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p))))
		raw.Write(p)
	}
	part(EncodeDataVersion(b.DataVersion))
	raw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b.Topics))))
	for _, name := range slices.Sorted(maps.Keys(b.Topics)) {
		tc := b.Topics[name]
		part(fmt.Appendf(nil, "%s %d %d %d %s", tc.TopicName, tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm, filterType(tc)))
	}
	var w writer
	fs := b.FilterServers
	if fs == nil {
		fs = []string{}
	}
	w.strings(fs)
	part(w.b)
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	_, _ = zw.Write(raw.Bytes())
	_ = zw.Close()
	return out.Bytes()
}

func filterType(tc routes.TopicConfig) string {
	if tc.TopicFilterType == "" {
		return TopicFilterTypeDefault
	}
	return tc.TopicFilterType
}

// DecodeRegisterBody parses a registration body in the form the request's
// "compressed" header names.
func DecodeRegisterBody(data []byte, compressed bool) (RegisterBody, error) {
	if compressed {
		return decodeCompressedRegister(data)
	}
	var v struct {
		FilterServerList []string `json:"filterServerList"`
		Wrapper          struct {
			DataVersion      routes.DataVersion         `json:"dataVersion"`
			TopicConfigTable map[string]topicConfigJSON `json:"topicConfigTable"`
		} `json:"topicConfigSerializeWrapper"`
	}
	if err := unmarshal(data, &v, "register broker body"); err != nil {
		return RegisterBody{}, err
	}
	b := RegisterBody{DataVersion: v.Wrapper.DataVersion, FilterServers: v.FilterServerList, Topics: map[string]routes.TopicConfig{}}
	if b.FilterServers == nil {
		b.FilterServers = []string{}
	}
	for name, tc := range v.Wrapper.TopicConfigTable {
		c := tc.config()
		if c.TopicName == "" {
			c.TopicName = name
		}
		b.Topics[name] = c
	}
	return b, nil
}

// topicConfigJSON decodes one topic config in a single pass; absent fields
// get Java's defaults (16 queues, read-write, SINGLE_TAG) in config().
type topicConfigJSON struct {
	TopicName       string  `json:"topicName"`
	ReadQueueNums   *int    `json:"readQueueNums"`
	WriteQueueNums  *int    `json:"writeQueueNums"`
	Perm            *int    `json:"perm"`
	TopicFilterType *string `json:"topicFilterType"`
	TopicSysFlag    int     `json:"topicSysFlag"`
	Order           bool    `json:"order"`
}

func (t topicConfigJSON) config() routes.TopicConfig {
	c := routes.TopicConfig{
		TopicName: t.TopicName, ReadQueueNums: 16, WriteQueueNums: 16,
		Perm: routes.PermRead | routes.PermWrite, TopicFilterType: TopicFilterTypeDefault,
		TopicSysFlag: t.TopicSysFlag, Order: t.Order,
	}
	if t.ReadQueueNums != nil {
		c.ReadQueueNums = *t.ReadQueueNums
	}
	if t.WriteQueueNums != nil {
		c.WriteQueueNums = *t.WriteQueueNums
	}
	if t.Perm != nil {
		c.Perm = *t.Perm
	}
	if t.TopicFilterType != nil {
		c.TopicFilterType = *t.TopicFilterType
	}
	return c
}

func decodeCompressedRegister(data []byte) (RegisterBody, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return RegisterBody{}, fmt.Errorf("decode compressed register body: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, RegisterInflatedMax+1))
	if err != nil {
		return RegisterBody{}, fmt.Errorf("decode compressed register body: inflate: %w", err)
	}
	if len(raw) > RegisterInflatedMax {
		return RegisterBody{}, fmt.Errorf("decode compressed register body: inflates past %d bytes", RegisterInflatedMax)
	}
	r := &partReader{data: raw}
	var b RegisterBody
	if b.DataVersion, err = DecodeDataVersion(r.part("data version")); r.err == nil && err != nil {
		return RegisterBody{}, err
	}
	n := r.int("topic count")
	if r.err == nil && (n < 0 || n > RegisterTopicsMax) {
		return RegisterBody{}, fmt.Errorf("decode compressed register body: topic count %d out of [0, %d]", n, RegisterTopicsMax)
	}
	b.Topics = map[string]routes.TopicConfig{}
	for i := 0; i < n && r.err == nil; i++ {
		text := string(r.part("topic config"))
		if r.err != nil {
			break
		}
		tc, err := parseTopicConfigLine(text)
		if err != nil {
			return RegisterBody{}, fmt.Errorf("decode compressed register body: topic %d: %w", i, err)
		}
		b.Topics[tc.TopicName] = tc
	}
	fs := r.part("filter server list")
	if r.err != nil {
		return RegisterBody{}, fmt.Errorf("decode compressed register body: %w", r.err)
	}
	// Java logs and carries on with an empty list when this part is bad.
	if err := json.Unmarshal(fs, &b.FilterServers); err != nil || b.FilterServers == nil {
		b.FilterServers = []string{}
	}
	return b, nil
}

// parseTopicConfigLine reads Java TopicConfig.encode's "name r w perm type".
func parseTopicConfigLine(s string) (routes.TopicConfig, error) {
	f := strings.Split(s, " ")
	if len(f) != 5 {
		return routes.TopicConfig{}, fmt.Errorf("%q: want 5 space-separated fields", s)
	}
	var nums [3]int
	for i := range nums {
		n, err := strconv.Atoi(f[i+1])
		if err != nil {
			return routes.TopicConfig{}, fmt.Errorf("%q: %w", s, err)
		}
		nums[i] = n
	}
	return routes.TopicConfig{TopicName: f[0], ReadQueueNums: nums[0], WriteQueueNums: nums[1], Perm: nums[2], TopicFilterType: f[4]}, nil
}

type partReader struct {
	data []byte
	err  error
}

var errShort = errors.New("body ends early")

func (r *partReader) int(what string) int {
	if r.err != nil {
		return 0
	}
	if len(r.data) < 4 {
		r.err = fmt.Errorf("%s: %w", what, errShort)
		return 0
	}
	n := int(int32(binary.BigEndian.Uint32(r.data)))
	r.data = r.data[4:]
	return n
}

func (r *partReader) part(what string) []byte {
	n := r.int(what + " length")
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.data) {
		r.err = fmt.Errorf("%s: length %d with %d bytes left: %w", what, n, len(r.data), errShort)
		return nil
	}
	p := r.data[:n]
	r.data = r.data[n:]
	return p
}
