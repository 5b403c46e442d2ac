<?php
// Validate one SSO token with auth_jwtsso's own token_validator, outside Moodle (tests only).
//
//   php jwtsso_validate.php JWKS_FILE ISSUER AUDIENCE < TOKEN
//
// Prints {"claims": {...}} when accepted, {"rejected": "<reason>"} when refused.

require(dirname(__DIR__, 3) . '/moodle_plugin/tests/bootstrap.php');

[, $jwksfile, $issuer, $audience] = $argv;
$keys = json_decode(file_get_contents($jwksfile), true, 512, JSON_THROW_ON_ERROR)['keys'];
$jwks = new class ($keys) implements auth_jwtsso\jwks_provider {
    public function __construct(private array $keys) {
    }
    public function get_keys(bool $refresh): array {
        return $this->keys;
    }
};
$jtis = new class () implements auth_jwtsso\jti_store {
    private array $seen = [];
    public function consume(string $jti, int $expiry): bool {
        if (isset($this->seen[$jti])) {
            return false;
        }
        $this->seen[$jti] = $expiry;
        return true;
    }
};
$validator = new auth_jwtsso\token_validator($jwks, $jtis, $issuer, $audience);
try {
    echo json_encode(['claims' => $validator->validate(trim(stream_get_contents(STDIN)))]), "\n";
} catch (auth_jwtsso\invalid_token_exception $e) {
    echo json_encode(['rejected' => $e->reason]), "\n";
}
