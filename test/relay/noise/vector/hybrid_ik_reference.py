#!/usr/bin/python3
"""Independent reference for Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256 as codex 0.169 runs it.

Written separately from the TypeScript implementation, on Debian's python3-cryptography (OpenSSL):
X25519, AES-256-GCM, HMAC-SHA256 (the Noise HKDF is spelled out with HMAC, as in the Noise spec) and
SHA-256. Python has no ML-KEM here, so the KEM results (ciphertexts and shared secrets) come in on
stdin, computed by a third implementation (the `mlkem` npm package, not the one the project ships).

stdin: JSON with hex fields (see make-hybrid-ik-vector.ts); stdout: the transcript as JSON (hex).
"""
import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

NAME = b"Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256"
LABEL = b"codex-exec-server-relay-noise/v1"


def sha256(data):
    return hashlib.sha256(data).digest()


def noise_hkdf(ck, ikm, n):
    temp = hmac.new(ck, ikm, hashlib.sha256).digest()
    out, prev = [], b""
    for i in range(1, n + 1):
        prev = hmac.new(temp, prev + bytes([i]), hashlib.sha256).digest()
        out.append(prev)
    return out


def nonce(n):
    return b"\x00\x00\x00\x00" + struct.pack(">Q", n)


class Symmetric:
    def __init__(self):
        self.h = NAME + b"\x00" * (32 - len(NAME)) if len(NAME) <= 32 else sha256(NAME)
        self.ck = self.h
        self.k = None
        self.n = 0

    def mix_hash(self, data):
        self.h = sha256(self.h + data)

    def mix_key(self, ikm):
        self.ck, self.k = noise_hkdf(self.ck, ikm, 2)
        self.n = 0

    def mix_key_and_hash(self, ikm):
        self.ck, temp_h, self.k = noise_hkdf(self.ck, ikm, 3)
        self.mix_hash(temp_h)
        self.n = 0

    def encrypt_and_hash(self, plaintext):
        if self.k is None:
            ct = plaintext
        else:
            ct = AESGCM(self.k).encrypt(nonce(self.n), plaintext, self.h)
            self.n += 1
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct):
        if self.k is None:
            pt = ct
        else:
            pt = AESGCM(self.k).decrypt(nonce(self.n), ct, self.h)
            self.n += 1
        self.mix_hash(ct)
        return pt

    def split(self):
        return noise_hkdf(self.ck, b"", 2)


def x_pub(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(priv, pub):
    return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))


def prologue(parts):
    out = b""
    for part in [LABEL] + [p.encode() for p in parts]:
        out += struct.pack(">Q", len(part)) + part
    return out


def main():
    v = {k: (bytes.fromhex(x) if isinstance(x, str) and k != "streamId" and not k.endswith("Id") else x)
         for k, x in json.load(sys.stdin).items()}
    pro = prologue([v["environmentId"], v["registrationId"], v["streamId"]])
    i_s_pub, r_s_pub = x_pub(v["initiatorStaticX25519"]), x_pub(v["responderStaticX25519"])
    i_e_pub, r_e_pub = x_pub(v["initiatorEphemeralX25519"]), x_pub(v["responderEphemeralX25519"])

    def start():
        s = Symmetric()
        s.mix_hash(pro)
        s.mix_hash(r_s_pub)
        s.mix_hash(v["responderStaticMlkemPublic"])
        return s

    # msg1, written by the initiator: skem, e, es, s, ss, payload
    ini = start()
    msg1 = ini.encrypt_and_hash(v["msg1SkemCiphertext"])
    ini.mix_key_and_hash(v["msg1SkemShared"])
    msg1 += i_e_pub
    ini.mix_hash(i_e_pub)
    msg1 += v["initiatorEphemeralMlkemPublic"]
    ini.mix_hash(v["initiatorEphemeralMlkemPublic"])
    ini.mix_key(dh(v["initiatorEphemeralX25519"], r_s_pub))
    msg1 += ini.encrypt_and_hash(i_s_pub)
    msg1 += ini.encrypt_and_hash(v["initiatorStaticMlkemPublic"])
    ini.mix_key(dh(v["initiatorStaticX25519"], r_s_pub))
    msg1 += ini.encrypt_and_hash(v["payload1"])

    # msg1, read by the responder (the KEM shared secret is the one decapsulation yields)
    res = start()
    at = 0

    def take(n):
        nonlocal at
        part = msg1[at:at + n]
        at += n
        return part

    assert res.decrypt_and_hash(take(1088)) == v["msg1SkemCiphertext"]
    res.mix_key_and_hash(v["msg1SkemShared"])
    re = take(32)
    res.mix_hash(re)
    re_kem = take(1184)
    res.mix_hash(re_kem)
    res.mix_key(dh(v["responderStaticX25519"], re))
    rs = res.decrypt_and_hash(take(48))
    assert rs == i_s_pub
    assert res.decrypt_and_hash(take(1200)) == v["initiatorStaticMlkemPublic"]
    res.mix_key(dh(v["responderStaticX25519"], rs))
    assert res.decrypt_and_hash(msg1[at:]) == v["payload1"]

    # msg2, written by the responder: ekem, skem, e, ee, se, payload
    msg2 = v["msg2EkemCiphertext"]
    res.mix_hash(v["msg2EkemCiphertext"])
    res.mix_key(v["msg2EkemShared"])
    msg2 += res.encrypt_and_hash(v["msg2SkemCiphertext"])
    res.mix_key_and_hash(v["msg2SkemShared"])
    msg2 += r_e_pub
    res.mix_hash(r_e_pub)
    msg2 += v["responderEphemeralMlkemPublic"]
    res.mix_hash(v["responderEphemeralMlkemPublic"])
    res.mix_key(dh(v["responderEphemeralX25519"], re))
    res.mix_key(dh(v["responderEphemeralX25519"], rs))
    msg2 += res.encrypt_and_hash(v["payload2"])

    # msg2, read by the initiator
    at2 = 0

    def take2(n):
        nonlocal at2
        part = msg2[at2:at2 + n]
        at2 += n
        return part

    ct = take2(1088)
    ini.mix_hash(ct)
    ini.mix_key(v["msg2EkemShared"])
    assert ini.decrypt_and_hash(take2(1104)) == v["msg2SkemCiphertext"]
    ini.mix_key_and_hash(v["msg2SkemShared"])
    re2 = take2(32)
    ini.mix_hash(re2)
    ini.mix_hash(take2(1184))
    ini.mix_key(dh(v["initiatorEphemeralX25519"], re2))
    ini.mix_key(dh(v["initiatorStaticX25519"], re2))
    assert ini.decrypt_and_hash(msg2[at2:]) == v["payload2"]
    assert ini.h == res.h
    k1, k2 = ini.split()

    def record(key, seq, message):
        framed = struct.pack(">I", len(message)) + message
        return AESGCM(key).encrypt(nonce(seq), framed, b"").hex()

    out = {
        "prologue": pro.hex(),
        "protocolNameHash": sha256(NAME).hex(),
        "msg1": msg1.hex(),
        "msg2": msg2.hex(),
        "handshakeHash": ini.h.hex(),
        "initiatorSendKey": k1.hex(),
        "responderSendKey": k2.hex(),
        "records": [
            {"from": "initiator", "seq": 0, "messageUtf8": v["record0"].decode(), "ciphertext": record(k1, 0, v["record0"])},
            {"from": "initiator", "seq": 1, "messageUtf8": v["record1"].decode(), "ciphertext": record(k1, 1, v["record1"])},
            {"from": "responder", "seq": 0, "messageUtf8": v["record2"].decode(), "ciphertext": record(k2, 0, v["record2"])},
        ],
    }
    json.dump(out, sys.stdout, indent=2)


main()
