"""JWT interop through the real binary: tokens printed by `herald token` verify in PyJWT and in
npm jsonwebtoken with the right key and fail with a wrong one; tokens minted by PyJWT and by
jsonwebtoken verify with herald's verifier (`herald token --verify`), and the refusals a
server must make (alg none, algorithm confusion, expiry, audience, unknown kid) come out with
their stable reason. Keys are generated here: `openssl genpkey` and python3-cryptography.
The examples of docs/tokens.md are run as written, too."""
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness import ROOT, herald_bin

JS = os.path.join(ROOT, "tests", "e2e", "js")

# Which key files sign and verify each algorithm (names in the `keys` fixture), and another
# key of the same type that must not verify it.
KEY_OF = {"HS256": "secret", "HS384": "secret", "HS512": "secret",
          "RS256": "rsa", "RS384": "rsa", "RS512": "rsa", "ES256": "ec256", "ES384": "ec384"}
WRONG = {"secret": "secret2", "rsa": "rsa2", "ec256": "ec256b", "ec384": "ec384b"}


# Per command, a bound for one that hangs: an ASan process started beside other suites can take
# seconds to do what takes milliseconds alone.
COMMAND_TIMEOUT = 120


def run(*args, stdin=None, timeout=COMMAND_TIMEOUT):
    return subprocess.run([herald_bin(), "token", *args], capture_output=True, text=True,
                          input=stdin, timeout=timeout)


def node(*args):
    if not os.path.isdir(os.path.join(JS, "node_modules", "jsonwebtoken")):
        pytest.fail("npm jsonwebtoken missing: run scripts/install-deps")
    return subprocess.run(["node", os.path.join(JS, "jwt_tool.js"), *args], capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=COMMAND_TIMEOUT)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Keys:
    """Key files in a temp dir: NAME (private PEM or secret) and NAME.pub (public PEM)."""

    def __init__(self, root):
        self.root = root

    def path(self, name):
        return str(self.root / name)

    def pub(self, name):
        return self.path(name + ".pub") if name != "secret" and name != "secret2" else self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def secret(self, name="secret"):
        return self.read(name).rstrip(b"\n")

    def verify_key(self, name):
        """What PyJWT verifies with: the secret, or the public PEM."""
        return self.secret(name) if name.startswith("secret") else self.read(name + ".pub")

    def sign_key(self, name):
        return self.secret(name) if name.startswith("secret") else self.read(name)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    k = Keys(root)
    for name in ("secret", "secret2"):
        with open(k.path(name), "w") as f:
            f.write(os.urandom(32).hex() + "\n")  # the newline herald and node both drop
    for name in ("rsa", "rsa2"):
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", k.path(name))
    for name in ("ec384", "ec384b"):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384",
                "-out", k.path(name))
    for name, curve in (("ec256", ec.SECP256R1()), ("ec256b", ec.SECP256R1())):
        key = ec.generate_private_key(curve)
        with open(k.path(name), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
    for name in ("rsa", "rsa2", "ec384", "ec384b", "ec256", "ec256b"):
        openssl("pkey", "-in", k.path(name), "-pubout", "-out", k.path(name + ".pub"))
    return k


def mint(keys, alg, *extra, key=None):
    name = key or KEY_OF[alg]
    flag = "--secret-file" if name.startswith("secret") else "--key-file"
    r = run("--sub", "alice", "--alg", alg, flag, keys.path(name), *extra)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert r.stdout == token + "\n" and token.count(".") == 2, r.stdout
    return token


def herald_verify(keys, token, key_name, *extra):
    """(exit status, claims dict or None, stderr) of `herald token --verify`."""
    flag = "--secret-file" if key_name.startswith("secret") else "--key-file"
    r = run("--verify", token, flag, keys.pub(key_name), *extra)
    claims = json.loads(r.stdout) if r.returncode == 0 else None
    return r.returncode, claims, r.stderr


def refusal(keys, token, key_name, *extra):
    code, _, err = herald_verify(keys, token, key_name, *extra)
    assert code == 1, err
    assert err.startswith("herald token: refused: "), err
    return err.strip().rsplit(" ", 1)[-1]


# ---- herald token -> PyJWT, jsonwebtoken -------------------------------------------------

@pytest.mark.parametrize("alg", sorted(KEY_OF))
def test_herald_tokens_verify_in_pyjwt(keys, alg):
    token = mint(keys, alg, "--channels", "chat:*,news", "--publish", "chat:lobby",
                 "--info", '{"name": "Alice", "n": 1.5}', "--aud", "herald", "--iss", "me",
                 "--kid", "k1", "--ttl", "15m")
    name = KEY_OF[alg]
    assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT", "kid": "k1"}
    claims = jwt.decode(token, keys.verify_key(name), algorithms=[alg], audience="herald",
                        issuer="me")
    assert claims["sub"] == "alice"
    assert claims["channels"] == ["chat:*", "news"]
    assert claims["publish"] == ["chat:lobby"]
    assert claims["info"] == {"name": "Alice", "n": 1.5}
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 120
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, keys.verify_key(WRONG[name]), algorithms=[alg], audience="herald")


@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256", "ES384"])
def test_herald_tokens_verify_in_jsonwebtoken(keys, alg):
    token = mint(keys, alg, "--channels", "a,b:*", "--aud", "herald")
    name = KEY_OF[alg]
    r = node("verify", alg, keys.pub(name), token, "herald")
    assert r.returncode == 0, r.stdout + r.stderr
    claims = json.loads(r.stdout)
    assert claims["sub"] == "alice" and claims["channels"] == ["a", "b:*"]
    r = node("verify", alg, keys.pub(WRONG[name]), token, "herald")
    assert r.returncode == 1, r.stdout
    assert json.loads(r.stdout)["error"] == "JsonWebTokenError"


def test_ttl_units_and_no_expiry(keys):
    for ttl, seconds in (("30s", 30), ("15m", 900), ("1h", 3600), ("7d", 604800)):
        claims = jwt.decode(mint(keys, "HS256", "--ttl", ttl), keys.secret(), algorithms=["HS256"])
        assert claims["exp"] - claims["iat"] == seconds, ttl
    claims = jwt.decode(mint(keys, "HS256", "--ttl", "0"), keys.secret(), algorithms=["HS256"])
    assert "exp" not in claims
    claims = jwt.decode(mint(keys, "HS256"), keys.secret(), algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600  # the default


def test_alg_defaults_to_the_key_type(keys):
    for name, alg in (("secret", "HS256"), ("rsa", "RS256"), ("ec256", "ES256"),
                      ("ec384", "ES384")):
        flag = "--secret-file" if name == "secret" else "--key-file"
        r = run("--sub", "u", flag, keys.path(name))
        assert r.returncode == 0, r.stderr
        assert jwt.get_unverified_header(r.stdout.strip())["alg"] == alg


# ---- PyJWT, jsonwebtoken -> herald ---------------------------------------------------------

@pytest.mark.parametrize("alg", sorted(KEY_OF))
def test_pyjwt_tokens_verify_in_herald(keys, alg):
    name = KEY_OF[alg]
    now = int(time.time())
    payload = {"sub": "bob", "aud": ["x", "herald"], "iss": "idp", "iat": now, "nbf": now - 5,
               "exp": now + 600, "channels": ["room:*"], "publish": ["room:1"],
               "info": {"nick": "B", "tags": [1, 2.5]}, "scope": "ignored"}
    token = jwt.encode(payload, keys.sign_key(name), algorithm=alg)
    code, claims, err = herald_verify(keys, token, name, "--aud", "herald", "--iss", "idp")
    assert code == 0, err
    expected = dict(payload)
    del expected["scope"]
    assert claims == expected
    assert refusal(keys, token, WRONG[name], "--aud", "herald") == "bad_signature"


@pytest.mark.parametrize("alg", ["HS256", "HS512", "RS256", "ES256", "ES384"])
def test_jsonwebtoken_tokens_verify_in_herald(keys, alg):
    name = KEY_OF[alg]
    r = node("sign", alg, keys.path(name), json.dumps({"sub": "carol", "channels": ["x"]}), "kid7")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    code, claims, err = herald_verify(keys, token, name)
    assert code == 0, err
    assert claims["sub"] == "carol" and claims["channels"] == ["x"] and "iat" in claims
    assert refusal(keys, token, WRONG[name]) == "bad_signature"
    if alg == "ES384":  # a P-256 key is not even tried for ES384
        assert refusal(keys, token, "ec256") == "alg_key_mismatch"


def test_jwks_selects_by_kid(keys, tmp_path):
    rsa_pub = serialization.load_pem_public_key(keys.read("rsa.pub"))
    rsa2_pub = serialization.load_pem_public_key(keys.read("rsa2.pub"))
    ec_pub = serialization.load_pem_public_key(keys.read("ec256.pub"))
    jwk = [json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_pub)),
           json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa2_pub)),
           json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_pub))]
    for k, kid in zip(jwk, ("r1", "r2", "e1")):
        k["kid"] = kid
    jwk.append({"kty": "OKP", "crv": "Ed25519", "x": b64(b"\x00" * 32), "kid": "ed"})  # skipped
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": jwk}))

    def verify(token):
        r = run("--verify", token, "--jwks-file", str(path))
        return "ok" if r.returncode == 0 else r.stderr.strip().rsplit(" ", 1)[-1]

    sign = lambda key, alg, kid: jwt.encode({"sub": "d"}, keys.sign_key(key), algorithm=alg,
                                           headers={"kid": kid} if kid else None)
    assert verify(sign("rsa", "RS256", "r1")) == "ok"
    assert verify(sign("rsa2", "RS256", "r2")) == "ok"
    assert verify(sign("rsa2", "RS256", "r1")) == "bad_signature"
    assert verify(sign("rsa", "RS256", "nope")) == "unknown_kid"
    assert verify(sign("rsa", "RS256", None)) == "unknown_kid"  # two RSA keys: no guessing
    assert verify(sign("ec256", "ES256", None)) == "ok"  # the one EC key
    assert verify(sign("ec256", "ES256", "r1")) == "alg_key_mismatch"


# ---- refusals ------------------------------------------------------------------------------

def test_alg_none_is_refused(keys):
    token = jwt.encode({"sub": "admin", "channels": ["*"]}, None, algorithm="none")
    assert token.endswith(".")
    assert refusal(keys, token, "secret") == "alg_none"
    assert refusal(keys, token, "rsa") == "alg_none"
    header = b64(b'{"alg":"NoNe","typ":"JWT"}')
    body = b64(b'{"sub":"admin"}')
    assert refusal(keys, f"{header}.{body}.", "secret") == "alg_none"


def test_algorithm_confusion_is_refused(keys):
    # HS256 "signed" with the server's public RSA key as the HMAC secret. PyJWT itself refuses
    # to build this token, so it is made by hand.
    header = b64(b'{"alg":"HS256","typ":"JWT"}')
    body = b64(json.dumps({"sub": "admin", "channels": ["*"]}).encode())
    signing_input = f"{header}.{body}".encode()
    for pem in (keys.read("rsa.pub"), keys.read("rsa.pub").rstrip(b"\n")):
        sig = b64(hmac.new(pem, signing_input, hashlib.sha256).digest())
        assert refusal(keys, f"{header}.{body}.{sig}", "rsa") == "alg_key_mismatch"


def test_expiry_leeway_audience_issuer(keys):
    now = int(time.time())
    secret = keys.secret()
    expired = jwt.encode({"sub": "e", "exp": now - 100}, secret, algorithm="HS256")
    assert refusal(keys, expired, "secret") == "expired"
    assert herald_verify(keys, expired, "secret", "--leeway", "600")[0] == 0
    future = jwt.encode({"sub": "f", "nbf": now + 600}, secret, algorithm="HS256")
    assert refusal(keys, future, "secret") == "not_yet_valid"
    aud = jwt.encode({"sub": "a", "aud": "other"}, secret, algorithm="HS256")
    assert refusal(keys, aud, "secret", "--aud", "herald") == "bad_audience"
    assert refusal(keys, aud, "secret") == "bad_audience"  # for someone, not for us
    iss = jwt.encode({"sub": "i", "iss": "evil"}, secret, algorithm="HS256")
    assert refusal(keys, iss, "secret", "--iss", "idp") == "bad_issuer"
    ms = jwt.encode({"sub": "m", "exp": now * 1000}, secret, algorithm="HS256")
    assert refusal(keys, ms, "secret") == "bad_claims"  # milliseconds are not a NumericDate
    grants = jwt.encode({"sub": "g", "channels": ["a*b"]}, secret, algorithm="HS256")
    assert refusal(keys, grants, "secret") == "bad_claims"
    wrong_secret = jwt.encode({"sub": "w"}, keys.secret("secret2"), algorithm="HS256")
    assert refusal(keys, wrong_secret, "secret") == "bad_signature"
    assert refusal(keys, "x" * 9000, "secret") == "too_large"
    assert refusal(keys, "not-a-token", "secret") == "malformed"


def test_verify_reads_stdin(keys):
    token = mint(keys, "ES256")
    r = run("--verify", "-", "--key-file", keys.pub("ec256"), stdin=token + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sub"] == "alice"


# ---- usage errors exit 2 with a sentence -------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--sub", "u"], "give one key"),
    (["--secret-file", "SECRET"], "--sub USER is required"),
    (["--sub", "u", "--secret-file", "/nonexistent/s"], "/nonexistent/s: cannot read"),
    (["--sub", "u", "--key-file", "EC256", "--alg", "RS256"], "RS256 needs an RSA key"),
    (["--sub", "u", "--key-file", "EC256", "--alg", "ES384"], "ES384 needs an EC P-384 key"),
    (["--sub", "u", "--key-file", "EC256", "--alg", "HS256"], "needs --secret-file"),
    (["--sub", "u", "--secret-file", "SECRET", "--alg", "ES256"], "needs --key-file"),
    (["--sub", "u", "--key-file", "EC256PUB"], "private key"),
    (["--sub", "u", "--secret-file", "SECRET", "--alg", "none"], "--alg none"),
    (["--sub", "u", "--secret-file", "SECRET", "--ttl", "1y"], "--ttl"),
    (["--sub", "u", "--secret-file", "SECRET", "--info", "[1]"], "info must be a JSON object"),
    (["--sub", "u", "--secret-file", "SECRET", "--channels", "a*b"], "a*b"),
    (["--sub", "u", "--secret-file", "SECRET", "--unknown-flag"], "unknown-flag"),
    (["--verify", "a.b.c"], "needs a key"),
    (["--verify", "a.b.c", "--jwks-file", "SECRET"], "not a JSON object"),
])
def test_usage_errors_exit_2(keys, args, message):
    paths = {"SECRET": keys.path("secret"), "EC256": keys.path("ec256"),
             "EC256PUB": keys.pub("ec256")}
    r = run(*[paths.get(a, a) for a in args])
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert message in r.stderr, r.stderr


# ---- docs/tokens.md ----------------------------------------------------------------------

def test_doc_examples_run_as_written(tmp_path):
    """Every ```sh token-example block of docs/tokens.md, in order, in one directory: `$ CMD`
    runs CMD with bash (herald on PATH); the lines after it are its output, stdout and stderr
    together (<int> matches an integer), and `[exit N]` its exit status (0 when absent)."""
    with open(os.path.join(ROOT, "docs", "tokens.md")) as f:
        doc = f.read()
    blocks = re.findall(r"```sh token-example\n(.*?)```", doc, re.S)
    assert len(blocks) >= 2
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "herald").symlink_to(os.path.abspath(herald_bin()))
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    steps = []
    for block in blocks:
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append([line[2:], [], 0])
            elif re.fullmatch(r"\[exit \d+\]", line):
                steps[-1][2] = int(line[6:-1])
            elif line:
                steps[-1][1].append(line)
    for cmd, expected, status in steps:
        r = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=COMMAND_TIMEOUT)
        out = (r.stdout + r.stderr).splitlines()
        assert r.returncode == status, (cmd, r.stdout, r.stderr)
        assert len(out) == len(expected), (cmd, out, expected)
        for got, want in zip(out, expected):
            pattern = re.escape(want).replace(re.escape("<int>"), r"-?\d+")
            assert re.fullmatch(pattern, got), (cmd, got, want)
