package passwordpolicy

// Line is one rule as a hosted page lists it under the password field: its text, how deep it is
// nested (the character classes under "Contain at least 3 of …"), and, once a password was checked,
// whether it met the rule.
type Line struct {
	Text    string
	Depth   int
	Checked bool
	Met     bool
}

// Lines lists the strength rules for a page: unchecked when rep is nil, else with rep's verdicts.
func (p *Policy) Lines(rep *Report) []Line {
	rules := p.Rules()
	if rep != nil {
		rules = rep.Rules
	}
	var out []Line
	var walk func(rs []Rule, depth int)
	walk = func(rs []Rule, depth int) {
		for _, r := range rs {
			out = append(out, Line{Text: r.Text(), Depth: depth, Checked: rep != nil, Met: r.Verified})
			walk(r.Items, depth+1)
		}
	}
	walk(rules, 0)
	return out
}

// PageMessage is what a hosted page says of a refused password.
func (v *Violation) PageMessage() string {
	if v.Name == NameStrength {
		return "Your password is too weak: it must meet every rule below."
	}
	return v.Message + "."
}
