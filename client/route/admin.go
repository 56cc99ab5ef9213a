package route

// AdminAddr finds an address of brokerName in any cached route: its
// master, else its lowest-id slave (Java findBrokerAddressInAdmin). A
// consumer asks it for and commits its offsets, so that while a master is
// down (4.x has no failover) the group resumes from the slave, which
// copies the master's offsets every minute.
func (c *Client) AdminAddr(brokerName string) string {
	if a := c.MasterAddr(brokerName); a != "" {
		return a
	}
	for _, t := range c.Topics() {
		if a := c.routes[t].BrokerAddr(brokerName, MasterID); a != "" {
			return a
		}
	}
	return ""
}
