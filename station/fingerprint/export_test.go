package fingerprint

// Tracked returns how many NIKs the matcher remembers.
func (s *Simulated) Tracked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state)
}
