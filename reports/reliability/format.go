package reliability

import "strconv"

// SeedRanges renders sorted seeds compactly: "1..20, 31, 40..41".
func SeedRanges(seeds []uint64) string {
	var out []byte
	for i := 0; i < len(seeds); {
		j := i
		for j+1 < len(seeds) && seeds[j+1] == seeds[j]+1 {
			j++
		}
		if len(out) > 0 {
			out = append(out, ", "...)
		}
		out = strconv.AppendUint(out, seeds[i], 10)
		if j > i {
			out = append(out, ".."...)
			out = strconv.AppendUint(out, seeds[j], 10)
		}
		i = j + 1
	}
	return string(out)
}
