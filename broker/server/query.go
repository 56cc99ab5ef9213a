package server

import (
	"bytes"
	"fmt"
	"strconv"

	"rocketsim/remoting"
)

// handleQueryMessage serves QUERY_MESSAGE (12): messages of a topic by key
// (or by UNIQ_KEY with _UNIQUE_KEY_QUERY=true) stored within a time range.
func (b *Broker) handleQueryMessage(req *remoting.Request) {
	cmd := req.Cmd
	var err error
	num := func(name string) int64 {
		v, e := cmd.ExtInt64(name)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	maxNum, begin, end := int(num("maxNum")), num("beginTimestamp"), num("endTimestamp")
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if cmd.ExtBool("_UNIQUE_KEY_QUERY") || maxNum <= 0 || maxNum > b.cfg.DefaultQueryMaxNum {
		maxNum = b.cfg.DefaultQueryMaxNum
	}
	recs, err := b.store.QueryMessage(cmd.Ext("topic"), cmd.Ext("key"), maxNum, begin, end)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("query message: %v", err))
		return
	}
	if len(recs) == 0 {
		b.replyCode(req, remoting.RespQueryNotFound, "can not find message, maybe time range not correct")
		return
	}
	resp := remoting.NewResponse(cmd, remoting.RespSuccess, "")
	// Java reports how far its index is built; ours is built with the
	// consume queues, as far as the dispatch offset.
	resp.SetExt("indexLastUpdateTimestamp", strconv.FormatInt(b.rt.Now().UnixMilli(), 10))
	resp.SetExt("indexLastUpdatePhyoffset", strconv.FormatInt(b.store.DispatchedPhyOffset(), 10))
	resp.Body = bytes.Join(recs, nil)
	b.reply(req, resp)
}

// handleViewMessage serves VIEW_MESSAGE_BY_ID (33): the stored message at a
// commit log offset (the offset part of an offset message id).
func (b *Broker) handleViewMessage(req *remoting.Request) {
	phy, err := req.Cmd.ExtInt64("offset")
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	_, raw, err := b.store.LookMessageByOffset(phy)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("can not find message by the offset, %d: %v", phy, err))
		return
	}
	b.replyBody(req, bytes.Clone(raw))
}
