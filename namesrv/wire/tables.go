package wire

import "rocketsim/namesrv/routes"

// EncodeTopicList writes TopicList JSON; brokerAddr is omitted when empty, as
// fastjson omits a null field.
func EncodeTopicList(topics []string, brokerAddr string) []byte {
	var w writer
	w.raw("{")
	if brokerAddr != "" {
		w.raw(`"brokerAddr":`)
		w.str(brokerAddr)
		w.raw(",")
	}
	w.raw(`"topicList":`)
	if topics == nil {
		topics = []string{}
	}
	w.strings(topics)
	w.raw("}")
	return w.b
}

// DecodeTopicList parses TopicList JSON.
func DecodeTopicList(data []byte) (topics []string, brokerAddr string, err error) {
	var v struct {
		TopicList  []string `json:"topicList"`
		BrokerAddr string   `json:"brokerAddr"`
	}
	if err := unmarshal(data, &v, "topic list"); err != nil {
		return nil, "", err
	}
	return v.TopicList, v.BrokerAddr, nil
}

// EncodeKVTable writes KVTable JSON: {"table":{...}}.
func EncodeKVTable(table map[string]string) []byte {
	var w writer
	w.raw(`{"table":`)
	w.stringMap(table)
	w.raw("}")
	return w.b
}

// DecodeKVTable parses KVTable JSON.
func DecodeKVTable(data []byte) (map[string]string, error) {
	var v struct {
		Table map[string]string `json:"table"`
	}
	if err := unmarshal(data, &v, "KV table"); err != nil {
		return nil, err
	}
	if v.Table == nil {
		v.Table = map[string]string{}
	}
	return v.Table, nil
}

// EncodeDataVersion writes DataVersion JSON.
func EncodeDataVersion(v routes.DataVersion) []byte {
	var w writer
	writeDataVersion(&w, v)
	return w.b
}

func writeDataVersion(w *writer, v routes.DataVersion) {
	w.raw(`{"counter":`)
	w.int(v.Counter)
	w.raw(`,"timestamp":`)
	w.int(v.Timestamp)
	w.raw("}")
}

// DecodeDataVersion parses DataVersion JSON.
func DecodeDataVersion(data []byte) (routes.DataVersion, error) {
	var v routes.DataVersion
	err := unmarshal(data, &v, "data version")
	return v, err
}
