package web

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "golang.org/x/image/webp"
)

// MediaStore keeps uploaded files. DirStore is the one we ship; the interface
// is small so an object store can be added later.
type MediaStore interface {
	Put(name string, r io.Reader) error
	Open(name string) (ReadSeekCloser, time.Time, error)
	Remove(name string) error
}

// ReadSeekCloser is what serving a file with ranges and caching needs.
type ReadSeekCloser interface {
	io.ReadSeeker
	io.Closer
}

// DirStore stores media as files in one folder, which several processes may
// share (a network volume).
type DirStore struct{ Dir string }

// ErrBadName rejects names that could escape the folder.
var ErrBadName = errors.New("bad media name")

func (d DirStore) path(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return filepath.Join(d.Dir, name), nil
}

// Put writes the file atomically (temp file + rename).
func (d DirStore) Put(name string, r io.Reader) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.Dir, 0o750); err != nil {
		return fmt.Errorf("create media folder: %w", err)
	}
	tmp, err := os.CreateTemp(d.Dir, uploadTempPrefix+"*")
	if err != nil {
		return fmt.Errorf("store media %s: %w", name, err)
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write media %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("close media %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("rename media %s: %w", name, err)
	}
	return nil
}

// Open opens a stored file.
func (d DirStore) Open(name string) (ReadSeekCloser, time.Time, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, time.Time{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("open media %s: %w", name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, time.Time{}, fmt.Errorf("stat media %s: %w", name, err)
	}
	return f, st.ModTime(), nil
}

// Remove deletes a stored file.
func (d DirStore) Remove(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove media %s: %w", name, err)
	}
	return nil
}

// uploadTempPrefix names the temporary file of a Put in progress.
const uploadTempPrefix = ".upload-"

// StoredFile is a file of the media folder, for the janitor.
type StoredFile struct {
	Name    string
	ModTime time.Time
	// Partial marks the temporary file of an upload that never finished
	// (its process died before the rename).
	Partial bool
}

// List returns the media files and unfinished uploads of the folder;
// other hidden files (write probes) and folders are left out.
func (d DirStore) List() ([]StoredFile, error) {
	ents, err := os.ReadDir(d.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list media: %w", err)
	}
	var out []StoredFile
	for _, e := range ents {
		partial := strings.HasPrefix(e.Name(), uploadTempPrefix)
		if !e.Type().IsRegular() || (strings.HasPrefix(e.Name(), ".") && !partial) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, StoredFile{Name: e.Name(), ModTime: info.ModTime(), Partial: partial})
	}
	return out, nil
}

// RemoveStored deletes a file List returned, an unfinished upload included.
func (d DirStore) RemoveStored(f StoredFile) error {
	if !f.Partial {
		return d.Remove(f.Name)
	}
	if strings.ContainsAny(f.Name, `/\`) || !strings.HasPrefix(f.Name, uploadTempPrefix) {
		return fmt.Errorf("%w: %q", ErrBadName, f.Name)
	}
	if err := os.Remove(filepath.Join(d.Dir, f.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove unfinished upload %s: %w", f.Name, err)
	}
	return nil
}

// ImageInfo is what the bytes of an upload say it is.
type ImageInfo struct {
	MimeType      string
	Ext           string
	Width, Height int
}

// ErrNotImage is returned for uploads that are not JPEG, PNG, GIF or WebP.
var ErrNotImage = errors.New("not a JPEG, PNG, GIF or WebP image")

var imageTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp"}

// SniffImage checks the type from the bytes (never the file name) and reads
// the dimensions.
func SniffImage(data []byte) (ImageInfo, error) {
	mt := http.DetectContentType(data)
	ext, ok := imageTypes[mt]
	if !ok {
		return ImageInfo{}, fmt.Errorf("%w (content looks like %s)", ErrNotImage, mt)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return ImageInfo{}, fmt.Errorf("%w: cannot read %s dimensions: %v", ErrNotImage, mt, err)
	}
	return ImageInfo{MimeType: mt, Ext: ext, Width: cfg.Width, Height: cfg.Height}, nil
}
