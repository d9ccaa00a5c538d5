package webauth

// WaitRefreshes waits until every refresh grant under way has been answered and recorded, so a
// test can tell "answered and kept" from "still in flight".
func (c *Client) WaitRefreshes() {
	c.refreshes.mu.Lock()
	var pending []chan struct{}
	for _, call := range c.refreshes.calls {
		pending = append(pending, call.done)
	}
	c.refreshes.mu.Unlock()
	for _, done := range pending {
		<-done
	}
	c.refreshes.mu.Lock() // the answer is recorded under the lock it was announced under
	c.refreshes.mu.Unlock()
}
