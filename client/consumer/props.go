package consumer

import "rocketsim/broker/store/message"

// formatProps writes a properties string with sorted names.
func formatProps(m map[string]string) string { return message.FormatProperties(m) }
