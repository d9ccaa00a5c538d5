// Package config owns Gatehouse's runtime configuration: one plain Config
// struct filled from defaults, then an optional YAML file, then GATEHOUSE_*
// environment variables, and the rules that say whether it is usable.
//
// It must not hold process-global state, read the environment directly (the
// caller passes a lookup function), open databases or listeners, or log.
// Errors it returns never contain secret values (master keys, database
// passwords): they name the setting and say what is wrong with it.
package config
