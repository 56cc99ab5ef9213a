package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"rocketsim/broker/config/jsonfile"
	"rocketsim/namesrv/wire"
	"rocketsim/runtime"
)

// offsetFile is delayOffset.json as RocketMQ's ScheduleMessageService
// writes it through fastjson: {"offsetTable":{1:0,2:5}}, keyed by delay
// level (queue id + 1), valued by the next queue offset of that level's
// SCHEDULE_TOPIC_XXXX queue to deliver.
type offsetFile struct {
	OffsetTable map[string]int64 `json:"offsetTable"`
}

// decodeOffsets reads delayOffset.json. fastjson writes integer map keys
// bare, which encoding/json refuses, so they are quoted first; a file
// written with quoted keys (another tool, or a hand edit) reads the same.
func decodeOffsets(data []byte) (map[int]int64, error) {
	var f offsetFile
	if err := json.Unmarshal(wire.QuoteBareKeys(data), &f); err != nil {
		return nil, fmt.Errorf("decode delay offsets: %w", err)
	}
	out := make(map[int]int64, len(f.OffsetTable))
	for k, v := range f.OffsetTable {
		level, err := strconv.Atoi(k)
		if err != nil || level < 1 {
			return nil, fmt.Errorf("decode delay offsets: level %q is not a positive integer", k)
		}
		if v < 0 {
			return nil, fmt.Errorf("decode delay offsets: level %d has negative offset %d", level, v)
		}
		out[level] = v
	}
	return out, nil
}

// encodeOffsets writes the table in Java's layout, levels ascending, so
// a Java broker (and our own reader) can take the file over.
func encodeOffsets(table map[int]int64) []byte {
	levels := make([]int, 0, len(table))
	for l := range table {
		levels = append(levels, l)
	}
	slices.Sort(levels)
	b := []byte(`{"offsetTable":{`)
	for i, l := range levels {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(l), 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, table[l], 10)
	}
	return append(b, "}}"...)
}

// loadOffsets reads the table, or an empty one on a first start.
func loadOffsets(fs runtime.FS, path string) (map[int]int64, error) {
	data, _, err := jsonfile.Read(fs, path, func(b []byte) error {
		_, err := decodeOffsets(b)
		return err
	})
	if errors.Is(err, runtime.ErrNotExist) {
		return map[int]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load delay offsets: %w", err)
	}
	return decodeOffsets(data)
}

// DecodeOffsets reads a delayOffset.json body (a GET_ALL_DELAY_OFFSET
// answer carries the same), level by level.
func DecodeOffsets(data []byte) (map[int]int64, error) { return decodeOffsets(data) }
