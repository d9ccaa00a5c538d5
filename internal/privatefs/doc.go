// Package privatefs keeps the files a node writes to its own disk readable by their owner only:
// directories 0700 and files 0600, whatever the umask and whatever mode a directory had when
// someone else created it. Database files, keys, client secrets and the development CA's key live
// in such directories, and any other local user reading them could impersonate the tenant
// (CWE-276).
//
// It owns only modes: it does not choose paths, write content or delete anything, and it never
// touches a file it is not named explicitly, so a data folder pointed at a shared directory loses
// nothing but its group and other permission bits.
package privatefs
