package server

import (
	"net"
	"strconv"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/ha"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// Replication (RocketMQ 4.x master/slave). A master (ASYNC_MASTER or
// SYNC_MASTER) listens on haListenPort and streams its commit log to its
// slaves; a SLAVE follows haMasterAddress, or the master's HA address the
// name server returns when it registers (same brokerName, brokerId 0),
// refuses sends, serves pulls, and copies the master's tables
// (slavesync.go, every 10 s). 4.x has no failover: while the master is down its
// slave serves reads, and producers go to other broker names.

// haConfig is the HA service's share of the broker configuration.
func haConfig(c *config.Config) ha.Config {
	return ha.Config{
		HeartbeatInterval:    c.Store.HaSendHeartbeatInterval,
		HousekeepingInterval: c.Store.HaHousekeepingInterval,
		TransferBatchSize:    c.Store.HaTransferBatchSize,
		SlaveFallbehindMax:   c.Store.HaSlaveFallbehindMax,
		ReconnectDelay:       ha.ReconnectDelayDefault,
	}
}

// startHA starts the master's HA service or the slave's HA client. It
// runs after the store is open.
func (b *Broker) startHA() error {
	if b.cfg.BrokerRole.IsMaster() {
		b.haMaster = ha.NewMaster(b.rt, b.store, haConfig(&b.cfg))
		// Listen on the address registered as haServerAddr's port, on
		// brokerIP1 (our runtimes bind one host per node).
		return b.haMaster.Listen(net.JoinHostPort(b.cfg.BrokerIP1, strconv.Itoa(b.cfg.HAPort())))
	}
	b.haSlave = ha.NewSlave(b.rt, b.store, haConfig(&b.cfg))
	if b.cfg.HaMasterAddress != "" {
		b.haSlave.SetMasterAddr(b.cfg.HaMasterAddress)
	}
	b.startSlaveSync()
	return nil
}

// stopHA closes replication before the store closes; waiting SYNC_MASTER
// sends are answered FLUSH_SLAVE_TIMEOUT.
func (b *Broker) stopHA() {
	if b.haMaster != nil {
		b.haMaster.Close()
	}
	if b.haSlave != nil {
		b.haSlave.Close()
	}
	b.stopSlaveSync()
}

// learnMaster follows what the name server said about our master (Java
// BrokerController.registerBrokerAll: updateHaMasterAddress when
// haMasterAddress is not configured, updateMasterAddress always).
func (b *Broker) learnMaster() {
	if b.haSlave == nil || b.reg == nil {
		return
	}
	if b.cfg.HaMasterAddress == "" {
		if a := b.reg.HAServerAddr(); a != "" {
			b.haSlave.SetMasterAddr(a)
		} else {
			b.registerAgainForMaster()
		}
	}
	b.setMasterAddr(b.reg.MasterAddr())
}

// masterAskInterval: a slave that registered before its master did
// learns nothing from the answer; it asks again this often until it
// learns its master (once a second, a registration each: cheap, and only
// while the master is unknown), rather than after registerNameServerPeriod (30 s)
// as Java does, which would leave a SYNC_MASTER without its slave (every
// send SLAVE_NOT_AVAILABLE) for that long after a cluster starts.
const masterAskInterval = time.Second

func (b *Broker) registerAgainForMaster() {
	if b.slave.ask != nil || b.stopped {
		return
	}
	b.slave.ask = b.rt.AfterFunc(masterAskInterval, func() {
		b.slave.ask = nil
		if !b.stopped && b.haSlave.MasterAddr() == "" {
			b.reg.RegisterNow()
		}
	})
}

// scheduleLevels are the delay levels the schedule service delivers: none
// on a slave. Java runs no ScheduleMessageService on a slave; its copy of
// SCHEDULE_TOPIC_XXXX is the master's, delivered by the master, and a
// slave's puts are refused anyway.
func scheduleLevels(c *config.Config) config.DelayLevels {
	if !c.BrokerRole.IsMaster() {
		return nil
	}
	return c.MessageDelayLevel
}

// notifyHA tells the slaves the log grew.
func (b *Broker) notifyHA() {
	if b.haMaster != nil {
		b.haMaster.Notify()
	}
}

// HA exposes the master's HA service to tests (nil on a slave).
func (b *Broker) HA() *ha.Master { return b.haMaster }

// HASlave exposes the slave's HA client to tests (nil on a master).
func (b *Broker) HASlave() *ha.Slave { return b.haSlave }

// stored reports whether a put's outcome means the message is in the log
// (the answer then carries msgId and offsets, Java's sendOK).
func stored(st store.PutStatus) bool {
	switch st {
	case store.PutOK, store.FlushDiskTimeout, store.FlushSlaveTimeout, store.SlaveNotAvailable:
		return true
	}
	return false
}

// putReplicated is put for a client's send: on a SYNC_MASTER, a message
// that waits for its store (WAIT not false) is answered once a slave
// acknowledged it (Java CommitLog.handleHA): SLAVE_NOT_AVAILABLE at once
// when no slave is connected or the slaves trail by haSlaveFallbehindMax,
// FLUSH_SLAVE_TIMEOUT after syncFlushTimeout. Either way the message is
// stored. The slave's outcome wins over FLUSH_DISK_TIMEOUT, as in Java.
//
// Internal puts (delayed messages coming due, consumer send-back) do not
// wait: Java's callers treat anything but PUT_OK as a failure and put
// again, which after SLAVE_NOT_AVAILABLE would store a second copy.
func (b *Broker) putReplicated(m *store.Message, done func(store.PutResult)) {
	if b.cfg.BrokerRole != config.SyncMaster || b.haMaster == nil {
		b.put(m, done)
		return
	}
	if v, ok := message.Property(m.Properties, message.PropertyWaitStoreOK); ok && v == "false" {
		b.put(m, done)
		return
	}
	b.put(m, func(res store.PutResult) {
		if res.Status != store.PutOK && res.Status != store.FlushDiskTimeout {
			done(res)
			return
		}
		end := res.PhysicalOffset + int64(res.WroteBytes)
		if !b.haMaster.SlaveOK(end) {
			b.haMaster.Stats.NotAvailable++
			res.Status = store.SlaveNotAvailable
			done(res)
			return
		}
		b.sendsWaiting++
		b.haMaster.WaitSlave(end, b.cfg.Store.SyncFlushTimeout, func(ok bool) {
			b.sendsWaiting--
			if !ok {
				res.Status = store.FlushSlaveTimeout
			}
			done(res)
		})
	})
}
