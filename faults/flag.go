package faults

import (
	"flag"
	"strings"
)

// FlagList is a repeatable command-line flag of faults in flow form, as
// Parse reads them and a control socket takes them:
//
//	-fault '{kind: fsync-fail, prob: 0.5}' -fault '{kind: clock-offset, offset: 2s}'
//
// Each value is parsed as it is set, so a bad line fails the command line
// (the flag package names the flag and the value) before anything starts.
type FlagList []Fault

var _ flag.Value = (*FlagList)(nil)

// String lists the faults, each in flow form, separated by spaces.
func (l *FlagList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, f := range *l {
		s[i] = f.String()
	}
	return strings.Join(s, " ")
}

// Set parses one fault and appends it.
func (l *FlagList) Set(s string) error {
	f, err := Parse(s)
	if err != nil {
		return err
	}
	*l = append(*l, f)
	return nil
}
