package consumer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"rocketsim/client"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// offsetFileMax bounds the local offset file a broadcasting consumer reads.
const offsetFileMax = 16 << 20

// offsetStore keeps the next offset to consume per queue: in memory, then
// on the queue's broker (clustering, UPDATE_CONSUMER_OFFSET) or in a local
// file (broadcasting).
type offsetStore struct {
	c     *Consumer
	table map[client.Queue]int64
	dirty map[client.Queue]bool
}

func newOffsetStore(c *Consumer) *offsetStore {
	return &offsetStore{c: c, table: map[client.Queue]int64{}, dirty: map[client.Queue]bool{}}
}

// update records that everything before off in q is consumed.
func (s *offsetStore) update(q client.Queue, off int64) {
	if old, ok := s.table[q]; ok && old == off {
		return
	}
	s.table[q] = off
	s.dirty[q] = true
}

// read is the in-memory offset of q, or -1.
func (s *offsetStore) read(q client.Queue) int64 {
	if off, ok := s.table[q]; ok {
		return off
	}
	return -1
}

func (s *offsetStore) forget(q client.Queue) {
	delete(s.table, q)
	delete(s.dirty, q)
}

// Committed returns the consumer's in-memory offset of q (the next offset
// to consume), or -1.
func (c *Consumer) Committed(q client.Queue) int64 { return c.offsets.read(q) }

func (s *offsetStore) sortedDirty() []client.Queue {
	out := make([]client.Queue, 0, len(s.dirty))
	for q := range s.dirty {
		out = append(out, q)
	}
	slices.SortFunc(out, client.CompareQueues)
	return out
}

// persistAll writes every changed offset; done (may be nil) runs when all
// writes finished.
func (s *offsetStore) persistAll(done func()) {
	if s.c.opts.Model == Broadcasting {
		if err := s.saveFile(); err != nil {
			s.c.log.Warn("offsets not saved", slog.Any("err", err))
		}
		if done != nil {
			done()
		}
		return
	}
	dirty := s.sortedDirty()
	pending := len(dirty) + 1
	step := func() {
		pending--
		if pending == 0 && done != nil {
			done()
		}
	}
	for _, q := range dirty {
		s.persist(q, step)
	}
	step()
}

// persist writes q's offset to its broker; done runs when that finished.
func (s *offsetStore) persist(q client.Queue, done func()) {
	if s.c.opts.Model == Broadcasting {
		s.persistAll(done)
		return
	}
	off, ok := s.table[q]
	addr := s.c.routes.AdminAddr(q.BrokerName)
	if !ok || !s.dirty[q] || addr == "" {
		done()
		return
	}
	req := remoting.NewRequest(remoting.ReqUpdateConsumerOffset, map[string]string{
		"consumerGroup": s.c.opts.Group, "topic": q.Topic,
		"queueId": strconv.Itoa(q.QueueID), "commitOffset": strconv.FormatInt(off, 10),
	})
	err := s.c.ep.Invoke(s.c.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
		if err == nil && resp.Code == remoting.RespSuccess && s.table[q] == off {
			delete(s.dirty, q)
		}
		done()
	})
	if err != nil {
		done()
	}
}

// start finds where a newly owned queue starts: the stored offset, else
// where ConsumeFrom says.
func (s *offsetStore) start(q client.Queue, done func(int64, error)) {
	c := s.c
	if c.opts.Model == Broadcasting {
		if off, ok := s.table[q]; ok {
			done(off, nil)
			return
		}
		s.fromWhere(q, done)
		return
	}
	s.query(remoting.ReqQueryConsumerOffset, q, map[string]string{"consumerGroup": c.opts.Group}, func(resp *remoting.Command, err error) {
		if err != nil {
			done(0, err)
			return
		}
		switch resp.Code {
		case remoting.RespSuccess:
			off, err := resp.ExtInt64("offset")
			if err != nil {
				done(0, err)
				return
			}
			s.table[q] = off
			done(off, nil)
		case remoting.RespQueryNotFound:
			s.fromWhere(q, done)
		default:
			done(0, fmt.Errorf("query offset of %s: %s %s", q, remoting.ResponseName(resp.Code), resp.Remark))
		}
	})
}

func (s *offsetStore) fromWhere(q client.Queue, done func(int64, error)) {
	c := s.c
	offsetOf := func(resp *remoting.Command, err error) {
		if err != nil {
			done(0, err)
			return
		}
		if resp.Code != remoting.RespSuccess {
			done(0, fmt.Errorf("offset of %s: %s %s", q, remoting.ResponseName(resp.Code), resp.Remark))
			return
		}
		off, err := resp.ExtInt64("offset")
		if err == nil {
			s.update(q, off)
		}
		done(off, err)
	}
	switch {
	case c.opts.ConsumeFrom == ConsumeFromFirstOffset || strings.HasPrefix(q.Topic, client.RetryGroupTopicPrefix):
		s.update(q, 0)
		done(0, nil)
	case c.opts.ConsumeFrom == ConsumeFromTimestamp:
		ts := c.opts.ConsumeTimestamp
		if ts.IsZero() {
			ts = time.UnixMilli(c.startedAt).Add(-ConsumeTimestampDefault)
		}
		s.query(remoting.ReqSearchOffsetByTimestamp, q, map[string]string{"timestamp": strconv.FormatInt(ts.UnixMilli(), 10)}, offsetOf)
	default:
		s.query(remoting.ReqGetMaxOffset, q, nil, offsetOf)
	}
}

// query sends an offset request about q to its broker's master, or to a
// slave while the route has no master.
func (s *offsetStore) query(code int16, q client.Queue, ext map[string]string, done func(*remoting.Command, error)) {
	c := s.c
	addr := c.routes.AdminAddr(q.BrokerName)
	if addr == "" {
		done(nil, fmt.Errorf("no broker for %s", q.BrokerName))
		return
	}
	h := map[string]string{"topic": q.Topic, "queueId": strconv.Itoa(q.QueueID)}
	for k, v := range ext {
		h[k] = v
	}
	if err := c.ep.Invoke(c.ep.ConnTo(addr), remoting.NewRequest(code, h), RequestTimeout, done); err != nil {
		done(nil, err)
	}
}

// offsetFile is the local offset file of a broadcasting consumer (Java
// OffsetSerializeWrapper, keyed "topic@broker@queueId").
type offsetFile struct {
	OffsetTable map[string]int64 `json:"offsetTable"`
}

// path is the offset file: OffsetDir/<ip>@<instance>/<group>.json. The
// instance is the configured name ("DEFAULT" when unset), not the pid, so a
// restarted process finds its file, as Java's clientId for broadcasting
// consumers keeps instance name DEFAULT.
func (s *offsetStore) path() string {
	instance := s.c.opts.InstanceName
	if instance == "" {
		instance = "DEFAULT"
	}
	dir := strings.NewReplacer("/", "_", ":", "_").Replace(s.c.id.IP + "@" + instance)
	return s.c.opts.OffsetDir + "/" + dir + "/" + s.c.opts.Group + ".json"
}

func queueKey(q client.Queue) string {
	return q.Topic + "@" + q.BrokerName + "@" + strconv.Itoa(q.QueueID)
}

// saveFile writes the table atomically: a temporary file, synced, renamed
// over the old one, then the directory synced.
func (s *offsetStore) saveFile() error {
	fs := s.c.rt.Disk()
	p := s.path()
	dir := p[:strings.LastIndex(p, "/")]
	f := offsetFile{OffsetTable: map[string]int64{}}
	for q, off := range s.table {
		f.OffsetTable[queueKey(q)] = off
	}
	data, err := json.Marshal(f) // map keys come out sorted
	if err != nil {
		return fmt.Errorf("encode offsets: %w", err)
	}
	if err := fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("offsets dir: %w", err)
	}
	tmp := p + ".tmp"
	file, err := fs.Open(tmp, runtime.Create|runtime.ReadWrite)
	if err != nil {
		return fmt.Errorf("offsets: %w", err)
	}
	if err := file.Truncate(0); err != nil {
		file.Close()
		return fmt.Errorf("offsets: %w", err)
	}
	if _, err := file.WriteAt(data, 0); err != nil {
		file.Close()
		return fmt.Errorf("offsets: %w", err)
	}
	if err := file.Sync(); err != nil {
		file.Close()
		return fmt.Errorf("offsets: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("offsets: %w", err)
	}
	if err := fs.Rename(tmp, p); err != nil {
		return fmt.Errorf("offsets: %w", err)
	}
	if err := fs.SyncDir(dir); err != nil {
		return fmt.Errorf("offsets: %w", err)
	}
	clear(s.dirty)
	return nil
}

// load reads a broadcasting consumer's offsets; a missing file is a fresh
// start.
func (s *offsetStore) load() error {
	if s.c.opts.Model != Broadcasting {
		return nil
	}
	file, err := s.c.rt.Disk().Open(s.path(), runtime.ReadOnly)
	if errors.Is(err, runtime.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load offsets: %w", err)
	}
	defer file.Close()
	size, err := file.Size()
	if err != nil {
		return fmt.Errorf("load offsets: %w", err)
	}
	if size > offsetFileMax {
		return fmt.Errorf("load offsets: %s is %d bytes, over %d", s.path(), size, offsetFileMax)
	}
	data := make([]byte, size)
	if _, err := file.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("load offsets: %w", err)
	}
	var f offsetFile
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("load offsets %s: %w", s.path(), err)
	}
	for k, off := range f.OffsetTable {
		parts := strings.Split(k, "@")
		if len(parts) < 3 {
			continue
		}
		id, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			continue
		}
		q := client.Queue{Topic: strings.Join(parts[:len(parts)-2], "@"), BrokerName: parts[len(parts)-2], QueueID: id}
		s.table[q] = off
	}
	return nil
}
