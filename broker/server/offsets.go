package server

import (
	"strconv"

	"rocketsim/remoting"
)

// queueArgs reads the topic and queueId every offset request carries.
func queueArgs(cmd *remoting.Command) (string, int32, error) {
	q, err := cmd.ExtInt64("queueId")
	if err != nil {
		return "", 0, err
	}
	return cmd.Ext("topic"), int32(q), nil
}

func (b *Broker) replyOffset(req *remoting.Request, key string, v int64) {
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.SetExt(key, strconv.FormatInt(v, 10))
	b.reply(req, resp)
}

// handleQueryConsumerOffset serves QUERY_CONSUMER_OFFSET (14). With no
// committed offset Java answers 0 rather than QUERY_NOT_FOUND while the
// queue still holds its first message (min offset 0), so a new group reads a
// young queue from the start even when it consumes from the last offset. Java
// also requires that message to be in memory rather than only on disk; this
// store does not tell the two apart, so any queue that still starts at 0
// counts as young.
func (b *Broker) handleQueryConsumerOffset(req *remoting.Request) {
	t, q, err := queueArgs(req.Cmd)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	group := req.Cmd.Ext("consumerGroup")
	if off := b.offsets.Query(group, t, q); off >= 0 {
		b.replyOffset(req, "offset", off)
		return
	}
	if b.store.MinOffsetInQueue(t, q) <= 0 {
		b.replyOffset(req, "offset", 0)
		return
	}
	b.replyCode(req, remoting.RespQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
}

// handleUpdateConsumerOffset serves UPDATE_CONSUMER_OFFSET (15); clients
// send it oneway every 5 s.
func (b *Broker) handleUpdateConsumerOffset(req *remoting.Request) {
	t, q, err := queueArgs(req.Cmd)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	off, err := req.Cmd.ExtInt64("commitOffset")
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.offsets.Commit(req.Cmd.Ext("consumerGroup"), t, q, off)
	b.replyCode(req, remoting.RespSuccess, "")
}

// handleGetMaxOffset serves GET_MAX_OFFSET (30).
func (b *Broker) handleGetMaxOffset(req *remoting.Request) {
	t, q, err := queueArgs(req.Cmd)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.replyOffset(req, "offset", b.store.MaxOffsetInQueue(t, q))
}

// handleGetMinOffset serves GET_MIN_OFFSET (31).
func (b *Broker) handleGetMinOffset(req *remoting.Request) {
	t, q, err := queueArgs(req.Cmd)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.replyOffset(req, "offset", b.store.MinOffsetInQueue(t, q))
}

// handleSearchOffset serves SEARCH_OFFSET_BY_TIMESTAMP (29): the first
// offset stored at or after the timestamp (milliseconds).
func (b *Broker) handleSearchOffset(req *remoting.Request) {
	t, q, err := queueArgs(req.Cmd)
	if err == nil {
		var ts int64
		if ts, err = req.Cmd.ExtInt64("timestamp"); err == nil {
			var off int64
			if off, err = b.store.OffsetInQueueByTime(t, q, ts); err == nil {
				b.replyOffset(req, "offset", off)
				return
			}
		}
	}
	b.replyCode(req, remoting.RespSystemError, err.Error())
}

// handleEarliestStoreTime serves GET_EARLIEST_MSG_STORETIME (32).
func (b *Broker) handleEarliestStoreTime(req *remoting.Request) {
	t, q, err := queueArgs(req.Cmd)
	if err == nil {
		var ts int64
		if ts, err = b.store.MessageStoreTimestamp(t, q, b.store.MinOffsetInQueue(t, q)); err == nil {
			b.replyOffset(req, "timestamp", ts)
			return
		}
	}
	b.replyCode(req, remoting.RespSystemError, err.Error())
}
