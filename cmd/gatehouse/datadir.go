package main

import (
	"path/filepath"

	"github.com/gatehouse/gatehouse/internal/devca"
	"github.com/gatehouse/gatehouse/internal/privatefs"
)

// privateDevData makes a dev data directory 0700 and the files Gatehouse keeps in it 0600. The
// directory may have been made beforehand (`mkdir data`, 0755), and its files by an earlier
// version or a copy with looser modes; they hold the master key, client secrets in clear and the
// database. Only Gatehouse's own files are named: --data may point at a folder holding others.
// The CA's files are named too, for `serve --data`, which never runs the CA code.
func privateDevData(dir string) error {
	if err := privatefs.Dir(dir); err != nil {
		return err
	}
	var files []string
	for _, name := range []string{devMasterKeyFile, devAppSecretFile, devTenantFile, devDatabaseFile,
		devDatabaseFile + "-wal", devDatabaseFile + "-shm", devDatabaseFile + "-journal", devCADir,
		filepath.Join(devCADir, devca.CACertFile), filepath.Join(devCADir, devca.CAKeyFile),
		filepath.Join(devCADir, devca.CertFile), filepath.Join(devCADir, devca.KeyFile)} {
		files = append(files, filepath.Join(dir, name))
	}
	return privatefs.Tighten(files...)
}
