package sqlstore_test

import (
	"testing"
	"testing/fstest"

	"github.com/gatehouse/gatehouse/internal/store/sqlstore"
)

func TestLoadMigrations(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	cases := []struct {
		name    string
		files   fstest.MapFS
		want    int
		wantErr bool
	}{
		{"ordered", fstest.MapFS{"0002_b.sql": file, "0001_a.sql": file, "README": file}, 2, false},
		{"empty", fstest.MapFS{}, 0, false},
		{"gap", fstest.MapFS{"0001_a.sql": file, "0003_c.sql": file}, 0, true},
		{"duplicate", fstest.MapFS{"0001_a.sql": file, "0001_b.sql": file}, 0, true},
		{"bad name", fstest.MapFS{"init.sql": file}, 0, true},
		{"zero", fstest.MapFS{"0000_a.sql": file}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sqlstore.LoadMigrations(tc.files)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error: %v", err, tc.wantErr)
			}
			if err == nil && len(got) != tc.want {
				t.Fatalf("got %d migrations, want %d", len(got), tc.want)
			}
			for i, m := range got {
				if m.Version != i+1 {
					t.Fatalf("migration %d has version %d", i, m.Version)
				}
			}
		})
	}
}
