package media

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelClock is a busy worker's tick in the kernel: a timerfd that fires
// every 10 ms on the engine's grid and an eventfd that Close writes to,
// in an epoll set of their own. The worker waits in epoll_wait on its own
// thread: a wake-up is one system call's return, where a Go timer costs
// the runtime's scheduler a netpoll wake-up and a thread hand-over every
// 10 ms, which at light load was most of the media plane's CPU.
type kernelClock struct {
	ep, timer, stop int
	evs             [2]unix.EpollEvent
	buf             [8]byte
}

func newKernelClock() (*kernelClock, error) {
	k := &kernelClock{ep: -1, timer: -1, stop: -1}
	var err error
	if k.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	if k.timer, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK); err != nil {
		k.close()
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	if k.stop, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		k.close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	for _, fd := range []int{k.timer, k.stop} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(k.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			k.close()
			return nil, fmt.Errorf("epoll add: %w", err)
		}
	}
	return k, nil
}

// start makes the clock tick every period from the next multiple of
// period after start (on the monotonic clock time.Now reads too).
func (k *kernelClock) start(start time.Time, period time.Duration) error {
	since := time.Since(start)
	first := (since/period+1)*period - since
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(first)), Interval: unix.NsecToTimespec(int64(period))}
	return unix.TimerfdSettime(k.timer, 0, &spec, nil)
}

// halt stops the ticks (an idle worker sleeps on its channel instead).
func (k *kernelClock) halt() {
	_ = unix.TimerfdSettime(k.timer, 0, &unix.ItimerSpec{}, nil)
}

// wait blocks until the next tick, and reports false once interrupt has
// been called.
func (k *kernelClock) wait() bool {
	for {
		n, err := unix.EpollWait(k.ep, k.evs[:], -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		ticked := false
		for _, ev := range k.evs[:n] {
			if int(ev.Fd) == k.stop {
				return false
			}
			_, _ = unix.Read(k.timer, k.buf[:])
			ticked = true
		}
		if ticked {
			return true
		}
	}
}

// interrupt wakes wait for good.
func (k *kernelClock) interrupt() {
	one := uint64(1)
	_, _ = unix.Write(k.stop, (*[8]byte)(unsafe.Pointer(&one))[:])
}

func (k *kernelClock) close() {
	for _, fd := range []int{k.ep, k.timer, k.stop} {
		if fd >= 0 {
			_ = unix.Close(fd)
		}
	}
}
