package loadgen

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// pace calls send for each of n senders 50 times a second until end, the
// senders spread over sendSlots slots of 2 ms. The senders share pkt, one
// packet's buffer.
func pace(end time.Time, n int, send func(i int, pkt []byte)) {
	var pkt [12 + frameBytes]byte
	slot := 0
	next := time.Now()
	for next.Before(end) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		for i := slot; i < n; i += sendSlots {
			send(i, pkt[:])
		}
		slot = (slot + 1) % sendSlots
		next = next.Add(framePeriod / sendSlots)
	}
}

// readSockets reads every socket in fds until stop, every 2 ms, and gives
// each packet to handle with the batch and index it came in. It sleeps on
// a timer, not in epoll_wait: a reader blocked on the sockets would be
// woken by the server's sends, and on loopback the sender pays for that
// wake-up, which a server sending to other hosts never does. Receive times
// come from the kernel, so how late it reads does not matter.
func readSockets(stop chan struct{}, fds []int, handle func(fd int, pkt []byte, b *rxBatch, i int)) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("loadgen: epoll: %w", err)
	}
	defer unix.Close(ep)
	for _, fd := range fds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return fmt.Errorf("loadgen: epoll: %w", err)
		}
	}
	b := newRxBatch()
	events := make([]unix.EpollEvent, 256)
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		time.Sleep(2 * time.Millisecond)
		n, err := unix.EpollWait(ep, events, 0)
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("loadgen: epoll: %w", err)
		}
		for _, ev := range events[:max(n, 0)] {
			fd := int(ev.Fd)
			for {
				k := b.recv(fd)
				for i := range k {
					handle(fd, b.bufs[i][:b.msgs[i].Len], b, i)
				}
				if k < batch {
					break
				}
			}
		}
	}
}
