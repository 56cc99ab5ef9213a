package runtime

// Buggify, after FoundationDB's BUGGIFY: a core marks a place where it may
// take a rare but legal path (answer a pull with one message, end a long
// poll early, commit an offset a round late) and asks its runtime whether
// to take it now. Only the simulator, with buggify on for the run, ever
// says yes: there the rare paths run often enough for the checkers to
// judge them, from the seed like everything else. Every site must keep
// the node within what RocketMQ allows its peers to see; a site that
// breaks a promise is a bug in the site.

// Buggifier is implemented by a runtime that takes the rare paths on
// purpose.
type Buggifier interface {
	// Buggify reports whether the caller should take the rare path at
	// site (a constant naming the place, "broker/pull-one").
	Buggify(site string) bool
}

// Buggify reports whether rt wants the rare path at site: false for
// every runtime but a simulator run with buggify on.
func Buggify(rt Runtime, site string) bool {
	b, ok := rt.(Buggifier)
	return ok && b.Buggify(site)
}
