package registrar

import "hash/crc32"

// crc32Java is Java UtilAll.crc32: CRC-32 (IEEE) with the sign bit cleared.
func crc32Java(b []byte) int32 { return int32(crc32.ChecksumIEEE(b) & 0x7fffffff) }
