package pingpong

import (
	"rocketsim/remoting"
)

// The request and response codes of the toy protocol. CodePing is far from
// RocketMQ's request codes so a pingpong frame is never mistaken for one.
const (
	CodePing = 9901
	// Response codes: success, a definite failure (nothing was written),
	// and an unknown outcome (written but the fsync failed).
	CodeOK      = 0
	CodeFailed  = 1
	CodeUnknown = 2
)

// Frames are real RocketMQ remoting frames, built and parsed by the broker's
// own codec, so the simulator exercises the codec with every request.
//
// encodeFrame returns the whole frame for cmd, length prefix included.
func encodeFrame(cmd *remoting.Command) []byte { return remoting.Encode(cmd) }

// decodeFrame checks a frame's framing and header and returns the command.
func decodeFrame(frame []byte) (*remoting.Command, error) {
	return remoting.Decode(frame, 0)
}
