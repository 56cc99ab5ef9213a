package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	"rocketsim/broker/config/jsonfile"
	"rocketsim/broker/store"
)

// delayOffset.json is written the way RocketMQ's fastjson writes it (bare
// integer keys) and read in that form or with quoted keys.
func TestOffsetFileFormat(t *testing.T) {
	require.Equal(t, `{"offsetTable":{1:0,2:5,18:7}}`, string(encodeOffsets(map[int]int64{2: 5, 1: 0, 18: 7})))
	for _, in := range []string{`{"offsetTable":{1:0,2:5}}`, `{"offsetTable":{"1":0,"2":5}}`,
		"{\n\t\"offsetTable\":{\n\t\t1:0,\n\t\t2:5\n\t}\n}"} {
		got, err := decodeOffsets([]byte(in))
		require.NoError(t, err, in)
		require.Equal(t, map[int]int64{1: 0, 2: 5}, got, in)
	}
	for _, bad := range []string{`{"offsetTable":{0:1}}`, `{"offsetTable":{1:-1}}`, `{"offsetTable":{x:1}}`, `{`} {
		_, err := decodeOffsets([]byte(bad))
		require.Error(t, err, bad)
	}
}

// A graceful stop persists the offsets; the next start resumes there and
// delivers nothing twice. A file claiming more than the queue holds (an
// ASYNC_FLUSH power loss) is corrected to the queue's end, and levels the
// table no longer has keep their offsets in the file.
func TestStopPersistsAndRestartResumes(t *testing.T) {
	e := newEnv(t, 11, "1s 2s", config.SyncFlush)
	for i := 0; i < 10; i++ {
		e.send(time.Duration(i)*10*time.Millisecond, uniqName(i), 0, 1+i%2)
	}
	e.w.RunFor(5 * time.Second)
	require.Len(t, e.got, 10)
	e.node.Stop()
	data, _, err := jsonfile.Read(e.node.Disk().FS(), e.cfg.DelayOffsetPath(), nil)
	require.NoError(t, err)
	require.Equal(t, `{"offsetTable":{1:5,2:5}}`, string(data))

	// Hand-edit the file: level 2 beyond its queue, a level 7 the table lacks.
	require.NoError(t, jsonfile.Write(e.node.Disk().FS(), e.cfg.DelayOffsetPath(), []byte(`{"offsetTable":{1:5,2:99,7:3}}`)))
	e.node.Start()
	require.NoError(t, e.node.Err())
	e.w.RunFor(5 * time.Second)
	require.Len(t, e.got, 10, "nothing delivered twice after a graceful stop")
	n := e.value()
	require.Equal(t, map[int]int64{1: 5, 2: 5, 7: 3}, n.svc.Offsets())
	require.Equal(t, int64(5), n.st.MaxOffsetInQueue(store.ScheduleTopic, 1))
}
