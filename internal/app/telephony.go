package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/earshot/earshot/internal/acd"
	"github.com/earshot/earshot/internal/callflow"
	"github.com/earshot/earshot/internal/config"
	"github.com/earshot/earshot/internal/dialplan"
	"github.com/earshot/earshot/internal/media"
	"github.com/earshot/earshot/internal/sip"
)

// mediaLegs lets the SIP edge make RTP legs of the media engine.
type mediaLegs struct{ e *media.Engine }

func (m mediaLegs) NewLeg() (sip.Leg, error) { return m.e.NewRTPLeg() }

// sipUsers gives registering phones the SIP password of the user, from the
// configuration in force.
type sipUsers struct{ eng *acd.Engine }

func (u sipUsers) SIPPassword(user string) (string, bool) {
	x, ok := u.eng.Config().User(user)
	if !ok || x.SIPPassword == "" {
		return "", false
	}
	return x.SIPPassword, true
}

// livePlan is the dial plan in force: compiled again whenever an admin
// changes the configuration.
type livePlan struct {
	eng *acd.Engine

	mu   sync.Mutex // guards from and plan
	from *config.Config
	plan *dialplan.Plan
}

func (p *livePlan) current() (*dialplan.Plan, error) {
	cfg := p.eng.Config()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.from != cfg {
		plan, err := dialplan.Compile(cfg.DialPlan.Allow, cfg.DialPlan.Deny)
		if err != nil {
			return nil, fmt.Errorf("dial plan: %w", err)
		}
		p.from, p.plan = cfg, plan
	}
	return p.plan, nil
}

func (p *livePlan) Check(target string) error {
	plan, err := p.current()
	if err != nil {
		return err
	}
	return plan.Check(target)
}

func (p *livePlan) Resolve(target string) (string, error) {
	plan, err := p.current()
	if err != nil {
		return "", err
	}
	return plan.Resolve(target)
}

// startTelephony starts the media engine, the SIP edge and the call flow.
func (a *App) startTelephony(ctx context.Context, cfg *config.Config) error {
	host, _, err := net.SplitHostPort(cfg.Listen.SIP)
	if err != nil {
		return fmt.Errorf("listen.sip %q: %w", cfg.Listen.SIP, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("listen.sip %q: the host must be an IP address", cfg.Listen.SIP)
	}
	// RTP is bound where SIP listens, a wildcard included; the SIP edge
	// writes listen.sip_public (or, for a wildcard, the outward
	// interface's address) into the SDP.
	portMin, portMax := cfg.Listen.RTPPortMin, cfg.Listen.RTPPortMax
	if a.opts.RTPPortMin != 0 || a.opts.RTPPortMax != 0 {
		portMin, portMax = a.opts.RTPPortMin, a.opts.RTPPortMax
	}
	a.media, err = media.NewEngine(media.Config{IP: ip.Unmap(), PortMin: portMin, PortMax: portMax, Logger: a.log.With("component", "media")})
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	flowCtx, stopFlow := context.WithCancel(context.Background())
	a.stopFlow = stopFlow
	a.flow = callflow.New(flowCtx, callflow.Config{
		Engine:   preferArrivals{a.engine, &a.demo},
		Bus:      a.bus,
		Media:    a.media,
		Browsers: a.endpoints,
		DataDir:  cfg.DataDir,
		Logger:   a.log.With("component", "callflow"),
		OnDTMF:   a.opts.OnDTMF,
	})
	listen := []string{"udp:" + cfg.Listen.SIP, "tcp:" + cfg.Listen.SIP}
	var getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	if cfg.Listen.SIPTLS != "" {
		listen = append(listen, "tls:"+cfg.Listen.SIPTLS)
		certs, err := loadCertFiles(cfg.Listen.TLSCert, cfg.Listen.TLSKey, a.log.With("component", "sip"))
		if err != nil {
			return fmt.Errorf("listen.sip_tls: %w", err)
		}
		getCert = certs.GetCertificate
	}
	a.sip, err = sip.New(sip.Config{
		Listen:         listen,
		Advertise:      cfg.Listen.SIPPublic,
		TLSCert:        cfg.Listen.TLSCert,
		TLSKey:         cfg.Listen.TLSKey,
		GetCertificate: getCert,
		Trunks:         cfg.Trunks,
		Users:          sipUsers{a.engine},
		DialPlan:       &livePlan{eng: a.engine},
		KnownDID: func(n string) bool {
			_, ok := a.engine.Config().QueueForDID(n)
			return ok
		},
		Media:  mediaLegs{a.media},
		Calls:  a.flow,
		Logger: a.log,
	})
	if err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	a.flow.SetDialer(a.sip)
	sipCtx, cancel := context.WithCancel(context.Background())
	a.stopSIP = cancel
	a.sipDone = make(chan error, 1)
	go func() { a.sipDone <- a.sip.Run(sipCtx) }()
	select {
	case <-a.sip.Ready():
	case err := <-a.sipDone:
		return fmt.Errorf("sip: %w", err)
	}
	return nil
}

// SIPAddr is where the SIP edge listens on network ("udp" or "tcp").
func (a *App) SIPAddr(network string) netip.AddrPort { return a.sip.Addr(network) }
