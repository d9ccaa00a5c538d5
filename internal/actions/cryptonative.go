package actions

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"hash"
	"strings"

	"github.com/dop251/goja"
)

// hashes are the digests node:crypto's createHash and createHmac offer in the sandbox.
var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New,
}

func newHash(vm *goja.Runtime, alg string) hash.Hash {
	h, ok := hashes[strings.ToLower(strings.ReplaceAll(alg, "-", ""))]
	if !ok {
		panic(newError(vm, "Error", "Digest method not supported"))
	}
	return h()
}

// installCryptoNatives adds the primitives node:crypto and jsonwebtoken are built on.
func installCryptoNatives(vm *goja.Runtime, n *goja.Object) {
	_ = n.Set("hash", func(c goja.FunctionCall) goja.Value {
		h := newHash(vm, c.Argument(0).String())
		h.Write(readBytes(vm, c.Argument(1)))
		return byteArray(vm, h.Sum(nil))
	})
	_ = n.Set("hmac", func(c goja.FunctionCall) goja.Value {
		alg := c.Argument(0).String()
		newHash(vm, alg) // refuses an unknown algorithm with Node's message
		h := hmac.New(hashes[strings.ToLower(strings.ReplaceAll(alg, "-", ""))], readBytes(vm, c.Argument(1)))
		h.Write(readBytes(vm, c.Argument(2)))
		return byteArray(vm, h.Sum(nil))
	})
	_ = n.Set("timingSafeEqual", func(c goja.FunctionCall) goja.Value {
		a, b := readBytes(vm, c.Argument(0)), readBytes(vm, c.Argument(1))
		if len(a) != len(b) {
			panic(newError(vm, "RangeError", "Input buffers must have the same byte length"))
		}
		return vm.ToValue(subtle.ConstantTimeCompare(a, b) == 1)
	})
	_ = n.Set("jwtSign", func(c goja.FunctionCall) goja.Value {
		sig, err := jwtSign(c.Argument(0).String(), c.Argument(1).String(), readBytes(vm, c.Argument(2)))
		if err != nil {
			panic(newError(vm, "Error", err.Error()))
		}
		return vm.ToValue(base64.RawURLEncoding.EncodeToString(sig))
	})
	_ = n.Set("jwtVerify", func(c goja.FunctionCall) goja.Value {
		sig, err := base64.RawURLEncoding.DecodeString(c.Argument(2).String())
		if err != nil {
			return vm.ToValue(false)
		}
		ok, err := jwtVerify(c.Argument(0).String(), c.Argument(1).String(), sig, readBytes(vm, c.Argument(3)))
		if err != nil {
			panic(newError(vm, "Error", err.Error()))
		}
		return vm.ToValue(ok)
	})
}

var jwtHashes = map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}

// jwtSign signs a JWS signing input with HS256/384/512 (key: the secret) or RS256/384/512
// (key: a PEM private key).
func jwtSign(alg, input string, key []byte) ([]byte, error) {
	if len(alg) != 5 {
		return nil, errors.New(`"algorithm" must be a valid string enum value`)
	}
	h, ok := jwtHashes[alg[2:]]
	if !ok {
		return nil, errors.New(`"algorithm" must be a valid string enum value`)
	}
	switch alg[:2] {
	case "HS":
		if len(key) == 0 {
			return nil, errors.New("secretOrPrivateKey must have a value")
		}
		m := hmac.New(h.New, key)
		m.Write([]byte(input))
		return m.Sum(nil), nil
	case "RS":
		k, err := rsaPrivate(key)
		if err != nil {
			return nil, err
		}
		d := h.New()
		d.Write([]byte(input))
		return rsa.SignPKCS1v15(rand.Reader, k, h, d.Sum(nil))
	}
	return nil, errors.New(`"algorithm" must be a valid string enum value`)
}

// jwtVerify checks a JWS signature; the comparison of an HMAC is constant-time.
func jwtVerify(alg, input string, sig, key []byte) (bool, error) {
	if len(alg) != 5 {
		return false, errors.New("invalid algorithm")
	}
	h, ok := jwtHashes[alg[2:]]
	if !ok {
		return false, errors.New("invalid algorithm")
	}
	switch alg[:2] {
	case "HS":
		if len(key) == 0 {
			return false, errors.New("secret or public key must be provided")
		}
		m := hmac.New(h.New, key)
		m.Write([]byte(input))
		return hmac.Equal(m.Sum(nil), sig), nil
	case "RS":
		k, err := rsaPublic(key)
		if err != nil {
			return false, err
		}
		d := h.New()
		d.Write([]byte(input))
		return rsa.VerifyPKCS1v15(k, h, d.Sum(nil), sig) == nil, nil
	}
	return false, errors.New("invalid algorithm")
}

func rsaPrivate(pemBytes []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, errors.New("secretOrPrivateKey must be an asymmetric key when using RS256")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, errors.New("secretOrPrivateKey is not a valid RSA private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("secretOrPrivateKey is not an RSA private key")
	}
	return rk, nil
}

func rsaPublic(pemBytes []byte) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, errors.New("secretOrPublicKey must be a PEM public key or certificate when using RS256")
	}
	switch blk.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, errors.New("invalid certificate")
		}
		if k, ok := cert.PublicKey.(*rsa.PublicKey); ok {
			return k, nil
		}
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(blk.Bytes)
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err == nil {
			if rk, ok := k.(*rsa.PublicKey); ok {
				return rk, nil
			}
		}
	case "RSA PRIVATE KEY", "PRIVATE KEY":
		k, err := rsaPrivate(pemBytes)
		if err == nil {
			return &k.PublicKey, nil
		}
	}
	return nil, errors.New("secretOrPublicKey is not a valid RSA public key")
}
