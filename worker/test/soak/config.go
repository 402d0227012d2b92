package soak

import (
	"errors"
	"fmt"
	"time"
)

// Config sizes and bounds a run.
type Config struct {
	Orgs           int // orgs created through the admin API
	DevicesPerOrg  int // contacts per org, each its own device id
	VerifiedPerOrg int // verified users per org

	// Duration is the load time, half before the restart and half after the
	// worker is back; the run also stops starting operations once
	// MaxRequests requests were sent under load.
	Duration    time.Duration
	MaxRequests int

	// Think is the mean pause of a simulated user between two operations;
	// the org servers pause twice as long between replies.
	Think time.Duration
	// MessagesPerSession is the mean number of messages a user posts in a
	// session before opening the next one.
	MessagesPerSession int

	// Drain bounds how long operations under way when the load stops may
	// keep retrying (e.g. through a 429's Retry-After) before they are
	// given up as unacknowledged.
	Drain time.Duration
	// AttemptTimeout bounds one HTTP attempt; SetupTimeout the setup and
	// ReadTimeout the read-back, retries included.
	AttemptTimeout time.Duration
	SetupTimeout   time.Duration
	ReadTimeout    time.Duration
	// ReadConcurrency is how many read-back requests run at once.
	ReadConcurrency int

	// TrapEvery is the pause between two of Target.Trap's traps under load.
	TrapEvery time.Duration

	// Log, when set, receives progress lines (setup done, restart, drain).
	Log func(format string, args ...any)
}

// DefaultConfig is the long run of `make soak`.
func DefaultConfig() Config {
	return Config{
		Orgs:               3,
		DevicesPerOrg:      6,
		VerifiedPerOrg:     4,
		Duration:           60 * time.Second,
		MaxRequests:        20000,
		Think:              400 * time.Millisecond,
		MessagesPerSession: 6,
		Drain:              20 * time.Second,
		AttemptTimeout:     20 * time.Second,
		SetupTimeout:       time.Minute,
		ReadTimeout:        5 * time.Minute,
		ReadConcurrency:    8,
		TrapEvery:          time.Second,
	}
}

// ShortConfig is the run of `make test`: a few seconds of load.
func ShortConfig() Config {
	c := DefaultConfig()
	c.Orgs, c.DevicesPerOrg, c.VerifiedPerOrg = 2, 3, 2
	c.Duration = 4 * time.Second
	c.MaxRequests = 3000
	c.Think = 60 * time.Millisecond
	c.MessagesPerSession = 4
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Orgs < 2 {
		errs = append(errs, fmt.Errorf("orgs = %d: at least 2, to check that another org sees nothing", c.Orgs))
	}
	if c.DevicesPerOrg < 0 || c.VerifiedPerOrg < 0 || c.DevicesPerOrg+c.VerifiedPerOrg < 2 {
		errs = append(errs, fmt.Errorf("devices + verified users per org = %d: at least 2, to check that another principal of the org sees nothing", c.DevicesPerOrg+c.VerifiedPerOrg))
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("duration must be > 0"))
	}
	if c.MaxRequests <= 0 {
		errs = append(errs, errors.New("max requests must be > 0"))
	}
	if c.Think < 0 || c.MessagesPerSession < 1 || c.Drain <= 0 || c.AttemptTimeout <= 0 || c.SetupTimeout <= 0 || c.ReadTimeout <= 0 || c.ReadConcurrency < 1 || c.TrapEvery <= 0 {
		errs = append(errs, errors.New("think >= 0, messages per session >= 1, drain, timeouts, read concurrency and trap pause > 0"))
	}
	return errors.Join(errs...)
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}
