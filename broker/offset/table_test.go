package offset

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"rocketsim/sim/simdisk"
)

func TestCommitQueryPersistReload(t *testing.T) {
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 2)))
	fs := d.FS()
	require.NoError(t, fs.MkdirAll("/store/config"))
	tb, err := Open(fs, "/store/config/consumerOffset.json")
	require.NoError(t, err)
	require.EqualValues(t, -1, tb.Query("g", "T", 0))
	tb.Commit("g", "T", 0, 12)
	tb.Commit("g", "T", 3, 7)
	tb.Commit("g2", "T", 0, 1)
	tb.Commit("g", "%RETRY%g", 0, 4)
	require.True(t, tb.Dirty())
	require.Equal(t, `{"offsetTable":{"%RETRY%g@g":{0:4},"T@g":{0:12,3:7},"T@g2":{0:1}}}`, string(tb.Encode()))
	require.NoError(t, tb.Persist())
	require.False(t, tb.Dirty())

	d.PowerLoss()
	fs = d.FS()
	re, err := Open(fs, "/store/config/consumerOffset.json")
	require.NoError(t, err)
	require.EqualValues(t, 12, re.Query("g", "T", 0))
	require.EqualValues(t, 7, re.Query("g", "T", 3))
	require.EqualValues(t, -1, re.Query("g", "T", 1))
	require.Equal(t, []string{"g", "g2"}, re.Groups("T"))
	require.Equal(t, []string{"%RETRY%g", "T"}, re.Topics("g"))
	re.DeleteGroup("g")
	require.EqualValues(t, -1, re.Query("g", "T", 0))
	require.EqualValues(t, 1, re.Query("g2", "T", 0))
}

func TestDecodeAcceptsStandardJSONAndRejectsGarbage(t *testing.T) {
	m, err := decode([]byte(`{"offsetTable":{"T@g":{"0":5, 1:6}}}`))
	require.NoError(t, err)
	require.EqualValues(t, 5, m["T@g"][0])
	require.EqualValues(t, 6, m["T@g"][1])
	_, err = decode([]byte(`{"offsetTable":{"nogroup":{0:1}}}`))
	require.ErrorContains(t, err, "topic@group")
	_, err = decode([]byte(`{"offsetTable":{"T@g":{x:1}}}`))
	require.Error(t, err)
}
