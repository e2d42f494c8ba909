#!/usr/bin/env bash
# Latch's benchmark: builds the release binary, starts it on a free loopback
# port with a temporary SQLite store, measures it with wrk, prints one
# key=value line per figure and writes the table to BENCHMARKS.md.
#
#   scripts/bench.sh [DURATION] [CONNECTIONS]
#
# DURATION is how long each wrk run lasts (seconds, like 10 or 10s, or
# minutes, like 1m; default 10s); CONNECTIONS how many connections each run
# keeps open (default 16). wrk runs on the same cores as the server.
#
# The settings are the defaults (config/default.toml and any LATCH__...
# variables you set), except for what a benchmark from one address needs:
# the per-IP sign-in limit is off (every request comes from 127.0.0.1) and
# cookies are not Secure (plain HTTP on loopback). The per-username
# throttle stays as it is: it counts failed sign-ins only, and the login
# runs sign in to one account with its right password.
#
# The figures:
#   1. GET /health/live, the ceiling for a page;
#   2. GET / anonymous;
#   3. GET / and GET /account with a session cookie (10 sessions stored);
#      1 to 3 run in turns, three times, and each is the median of its runs;
#   4. POST /login with the right password, beside cores / t_hash, where
#      t_hash is the median time of one Argon2id hash with the configured
#      costs, measured in this run while every core hashes (as during the
#      sign-in run, when the cores share the memory Argon2 fills); the
#      median time of a hash alone is printed beside it;
#   5. GET / signed in while a second wrk floods POST /login;
#   6. GET / signed in on a store holding 100,000 more sessions (added
#      through the store adapter by the bench_fixtures example, not over
#      HTTP) against one holding 10: two fresh servers that differ only in
#      their stores, five runs on each, taking turns so that a change in the
#      machine's load hits both, and the medians compared;
#   7. the server's peak RSS over the whole run (VmHWM);
#   8. the median time of a refused sign-in: unknown user, wrong password,
#      throttled account (15 attempts each, one at a time, with curl);
#   9. the median time of one commit (a session written alone, by the
#      bench_fixtures example, 200 times) with storage.sqlite.synchronous
#      "full", the default, and "normal": what waiting for the disk at
#      every commit costs, on the file system holding the temporary stores;
#  10. GET /auth/verify with a session cookie (forward auth's check), in
#      the same turns as 1 to 3, against (1);
#  11. a page of an app (nginx answering itself) through nginx with forward
#      auth to Latch, against the same page through nginx without it: one
#      nginx worker, keep-alive connections to its upstreams, three runs
#      each in turns, medians;
#  12. when MONGODB_URI names a MongoDB server (FerretDB will do): (1) and
#      (10) against a server on it, in a database of its own
#      (latch_bench_PID, left there), three runs each in turns, medians;
#      reported, with no target;
# and the 5xx answers the servers counted over the whole run (from each
# server's metrics listener).
set -euo pipefail

usage() {
    echo "usage: scripts/bench.sh [DURATION] [CONNECTIONS]   (defaults: 10s 16)" >&2
    exit 2
}

duration_arg=${1:-10s}
connections=${2:-16}
case $duration_arg in
    *m) minutes=${duration_arg%m} ;;
    *s) seconds=${duration_arg%s} ;;
    *) seconds=$duration_arg ;;
esac
if [[ -n ${minutes:-} ]]; then
    [[ $minutes =~ ^[0-9]+$ ]] || usage
    seconds=$((minutes * 60))
fi
[[ $seconds =~ ^[0-9]+$ && $seconds -ge 1 ]] || usage
[[ $connections =~ ^[0-9]+$ && $connections -ge 1 ]] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
lua_dir=$root/scripts/bench

log() { echo "bench: $*" >&2; }
die() {
    log "$*"
    exit 1
}

# wrk (and curl) from Debian's packages, installed when missing.
install_packages() {
    local run_as_root=()
    if [[ $(id -u) -ne 0 ]]; then
        run_as_root=(sudo)
    fi
    log "installing $* with apt-get"
    "${run_as_root[@]}" apt-get install -y "$@" >&2 ||
        { "${run_as_root[@]}" apt-get update >&2 && "${run_as_root[@]}" apt-get install -y "$@" >&2; }
}
missing=()
for tool in wrk curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
nginx_binary=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_binary ]] || missing+=(nginx)
if [[ ${#missing[@]} -gt 0 ]]; then
    install_packages "${missing[@]}"
fi

cores=$(nproc)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cpu_model=${cpu_model:-unknown}
threads=$((connections < cores ? connections : cores))

log "building the release binary"
cargo build --release --quiet -p latch --bin latch --example bench_fixtures
target_dir=${CARGO_TARGET_DIR:-$root/target}
latch=$target_dir/release/latch
fixtures=$target_dir/release/examples/bench_fixtures
load_before=$(cut -d ' ' -f 1-3 /proc/loadavg)

work=$(mktemp -d)
mkdir "$work/wrk"
server_pids=()
flood_pid=
cleanup() {
    local pid
    for pid in ${flood_pid:+"$flood_pid"} ${server_pids[@]+"${server_pids[@]}"}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

export LATCH__SERVER__LISTEN=127.0.0.1:0
export LATCH__METRICS__LISTEN=127.0.0.1:0
export LATCH__STORAGE__BACKEND=sqlite
export LATCH__RATE_LIMIT__SIGN_IN_PER_MINUTE=0
export LATCH__SESSION__COOKIE_SECURE=false

# Passwords may not contain the username, so neither says "bench".
password=correct-horse-battery-staple
wrong_password=not-the-password-of-this-account

# Each server NAME keeps its store in $work/NAME.db and what the script
# needs to talk to it in $work/NAME.*.

# Runs `latch` or `bench_fixtures` (the first argument) on the store NAME.
on_store() {
    local store=$1
    shift
    LATCH__STORAGE__SQLITE__PATH=$work/$store.db "$@"
}

# Creates ACCOUNT, with $password, in the store NAME.
create_account() {
    printf '%s\n' "$password" | on_store "$1" "$latch" user create "$2" 2>"$work/cli.log" ||
        die "could not create the account $2: $(tail -n 1 "$work/cli.log")"
}

# Starts a server on the store NAME and fetches the sign-in form's CSRF
# token and the cookie it belongs to (wrk sends that same pair with every
# sign-in).
start_server() {
    local name=$1 pid url= metrics_url=
    log "starting the server $name"
    # Started directly (not through on_store) so that $! is the server.
    LATCH__STORAGE__SQLITE__PATH=$work/$name.db "$latch" serve >"$work/$name.stdout" 2>"$work/$name.log" &
    pid=$!
    server_pids+=("$pid")
    for _ in $(seq 300); do
        url=$(sed -n 's/^latch listening on //p' "$work/$name.stdout")
        metrics_url=$(sed -n 's/^metrics on //p' "$work/$name.stdout")
        [[ -n $url && -n $metrics_url ]] && break
        kill -0 "$pid" 2>/dev/null || die "the server stopped: $(tail -n 5 "$work/$name.log")"
        sleep 0.1
    done
    [[ -n $url && -n $metrics_url ]] || die "the server did not say where it listens and serves metrics"
    echo "$pid" >"$work/$name.pid"
    echo "$url" >"$work/$name.url"
    echo "$metrics_url" >"$work/$name.metrics_url"
    curl -sS -c "$work/$name.cookies" -o "$work/$name.login.html" "$url/login"
    sed -n 's/.*<meta name="csrf-token" content="\([^"]*\)".*/\1/p' "$work/$name.login.html" |
        sed 's/&#x2f;/\//g; s/&#x3d;/=/g; s/&#x2b;/+/g; s/&amp;/\&/g' | head -n 1 >"$work/$name.csrf_token"
    awk -F '\t' '$6 == "latch_csrf" { print $6 "=" $7 }' "$work/$name.cookies" >"$work/$name.csrf_cookie"
    [[ -s $work/$name.csrf_token && -s $work/$name.csrf_cookie ]] || die "no CSRF token on the sign-in page"
}

# Makes the server NAME the one that post_login and run_wrk talk to.
use_server() {
    server_pid=$(<"$work/$1.pid")
    base=$(<"$work/$1.url")
    metrics_url=$(<"$work/$1.metrics_url")
    csrf_token=$(<"$work/$1.csrf_token")
    csrf_cookie=$(<"$work/$1.csrf_cookie")
}

# POST /login once with USERNAME and PASSWORD: sets $status (the HTTP
# status), $millis (the time taken) and $session (the session cookie's
# value, if one was set).
post_login() {
    local timing
    timing=$(curl -sS -o /dev/null -D "$work/headers" -b "$csrf_cookie" \
        -w '%{http_code} %{time_total}' \
        --data-urlencode "username=$1" --data-urlencode "password=$2" \
        --data-urlencode "csrf_token=$csrf_token" "$base/login")
    status=${timing% *}
    millis=$(awk -v seconds="${timing#* }" 'BEGIN { printf "%.2f", seconds * 1000 }')
    session=$(tr -d '\r' <"$work/headers" | sed -n 's/^set-cookie: latch_session=\([^;]*\);.*/\1/Ip')
}

# Signs in to the account "bench" COUNT times; the session cookies' values
# go to $tokens.
sign_in_sessions() {
    log "signing in $1 sessions"
    tokens=()
    for _ in $(seq "$1"); do
        post_login bench "$password"
        [[ $status == 303 && -n $session ]] || die "signing in answered $status, not 303 with a session"
        tokens+=("$session")
    done
    local account_status
    account_status=$(curl -sS -o /dev/null -w '%{http_code}' -b "latch_session=${tokens[0]}" "$base/account")
    [[ $account_status == 200 ]] || die "GET /account with a session answered $account_status"
}

# One wrk run against the current server: NAME SCRIPT PATH [SCRIPT
# ARGUMENTS...]; its figures go to $work/wrk/NAME.out.
run_wrk() {
    local name=$1 script=$2 path=$3
    shift 3
    log "wrk: $name"
    wrk -t "$threads" -c "$connections" -d "${seconds}s" -s "$lua_dir/$script" \
        "$base$path" -- "$@" >"$work/wrk/$name.out"
}
# FIGURE of the wrk run NAME.
figure() { sed -n "s/^$2=//p" "$work/wrk/$1.out"; }
# A percentage, to one decimal: 100 * PART / WHOLE.
percent() { awk -v part="$1" -v whole="$2" 'BEGIN { printf "%.1f", (whole > 0) ? 100 * part / whole : 0 }'; }
# "yes" when VALUE is at least (or with "at_most": at most) LIMIT.
meets() { awk -v value="$1" -v limit="$3" -v how="$2" 'BEGIN {
    ok = (how == "at_most") ? value <= limit : value >= limit; print ok ? "yes" : "no" }'; }
# The median of the numbers on standard input.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The 5xx answers the current server has counted.
server_5xx() {
    curl -sS "$metrics_url" |
        awk '/^latch_http_requests_total\{/ && /status="5/ { sum += $NF } END { print sum + 0 }'
}

log "creating the accounts"
for account in bench bench-wrong-1 bench-wrong-2 bench-wrong-3 bench-throttled; do
    create_account main "$account"
done
start_server main
use_server main
sign_in_sessions 10
main_tokens=("${tokens[@]}")

# Figures 1 to 3 in turns, three times, so that a change in the machine's
# load hits them all alike; each figure is the median of its three runs.
page_rounds=(1 2 3)
for round in "${page_rounds[@]}"; do
    run_wrk "health_$round" plain.lua /health/live
    run_wrk "home_anonymous_$round" plain.lua /
    run_wrk "home_signed_in_$round" signed_in.lua / latch_session "${main_tokens[@]}"
    run_wrk "account_signed_in_$round" signed_in.lua /account latch_session "${main_tokens[@]}"
    run_wrk "verify_$round" signed_in.lua /auth/verify latch_session "${main_tokens[@]}"
done

# A loopback port nobody listens on.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
log "starting nginx in front of an app, with and without forward auth"
app_port=$(free_port)
plain_port=$(free_port)
guarded_port=$(free_port)
latch_address=${base#http://}
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/client_body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    upstream app { server 127.0.0.1:$app_port; keepalive 32; }
    upstream latch { server $latch_address; keepalive 32; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";

    server {
        listen 127.0.0.1:$app_port;
        location / { return 200 "a page of the app\n"; }
    }
    server {
        listen 127.0.0.1:$plain_port;
        location / { proxy_pass http://app; }
    }
    server {
        listen 127.0.0.1:$guarded_port;
        location / {
            auth_request /latch-verify;
            auth_request_set \$latch_user \$upstream_http_remote_user;
            auth_request_set \$latch_sign_in \$upstream_http_location;
            error_page 401 =302 \$latch_sign_in;
            proxy_set_header Remote-User \$latch_user;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
        location = /latch-verify {
            internal;
            proxy_pass http://latch/auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Connection "";
            proxy_set_header X-Original-URL \$scheme://\$http_host\$request_uri;
        }
    }
}
EOF
"$nginx_binary" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
server_pids+=("$nginx_pid")
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$guarded_port/" && break
    sleep 0.1
done
guarded_status=$(curl -s -o /dev/null -w '%{http_code}' -b "latch_session=${main_tokens[0]}" "http://127.0.0.1:$guarded_port/")
[[ $guarded_status == 200 ]] || die "the page through nginx with forward auth answered $guarded_status: $(tail -n 3 "$work/nginx/error.log")"
main_base=$base
for round in "${page_rounds[@]}"; do
    base=http://127.0.0.1:$plain_port
    run_wrk "nginx_plain_$round" plain.lua /
    base=http://127.0.0.1:$guarded_port
    run_wrk "nginx_forward_auth_$round" signed_in.lua / latch_session "${main_tokens[@]}"
done
base=$main_base
kill "$nginx_pid"
wait "$nginx_pid" 2>/dev/null || true

mongo_row="| 12 | \`GET /auth/verify\` on MongoDB, against \`GET /health/live\` on the same server | not run: MONGODB_URI is not set | (reported) | |"
mongo_results=()
if [[ -n ${MONGODB_URI:-} ]]; then
    log "on MongoDB at MONGODB_URI"
    export LATCH__STORAGE__BACKEND=mongodb
    export LATCH__STORAGE__MONGODB__URI=$MONGODB_URI
    export LATCH__STORAGE__MONGODB__DATABASE=latch_bench_$$
    create_account mongo bench
    start_server mongo
    use_server mongo
    sign_in_sessions 10
    mongo_tokens=("${tokens[@]}")
    for round in "${page_rounds[@]}"; do
        run_wrk "mongo_health_$round" plain.lua /health/live
        run_wrk "mongo_verify_$round" signed_in.lua /auth/verify latch_session "${mongo_tokens[@]}"
    done
    other_servers_5xx_mongo=$(server_5xx)
    kill "$server_pid"
    wait "$server_pid" || true
    export LATCH__STORAGE__BACKEND=sqlite
    unset LATCH__STORAGE__MONGODB__URI LATCH__STORAGE__MONGODB__DATABASE
    use_server main
fi

log "seeding 100,000 sessions through the store"
create_account many bench
on_store many "$fixtures" seed-sessions 100000 >/dev/null
create_account ten bench
for store in many ten; do
    start_server "$store"
    use_server "$store"
    sign_in_sessions 10
    printf '%s\n' "${tokens[@]}" >"$work/$store.tokens"
done
mapfile -t many_tokens <"$work/many.tokens"
mapfile -t ten_tokens <"$work/ten.tokens"
rounds=(1 2 3 4 5)
for round in "${rounds[@]}"; do
    use_server ten
    run_wrk "ten_sessions_$round" signed_in.lua / latch_session "${ten_tokens[@]}"
    use_server many
    run_wrk "many_sessions_$round" signed_in.lua / latch_session "${many_tokens[@]}"
done
other_servers_5xx=${other_servers_5xx_mongo:-0}
for store in many ten; do
    use_server "$store"
    other_servers_5xx=$((other_servers_5xx + $(server_5xx)))
    kill "$server_pid"
    wait "$server_pid" || true
done
use_server main

log "timing the hash"
"$fixtures" hash-time 21 >"$work/hash.out"
t_hash_ms=$(sed -n 's/^t_hash_ms=//p' "$work/hash.out")
t_hash_alone_ms=$(sed -n 's/^t_hash_alone_ms=//p' "$work/hash.out")
argon2=$(sed -n 's/^argon2=//p' "$work/hash.out")
run_wrk login login.lua /login bench "$password" "$csrf_token" "$csrf_cookie"

log "wrk: home_signed_in during a login flood"
wrk -t 1 -c "$connections" -d "$((seconds + 2))s" -s "$lua_dir/login.lua" \
    "$base/login" -- bench "$password" "$csrf_token" "$csrf_cookie" >"$work/wrk/flood.out" &
flood_pid=$!
sleep 1
run_wrk home_signed_in_flood signed_in.lua / latch_session "${main_tokens[@]}"
wait "$flood_pid"
flood_pid=

log "timing refused sign-ins"
on_store main "$fixtures" throttle bench-throttled >/dev/null
# Reads "USERNAME PASSWORD" lines; signs in with each, expecting 401, and
# prints the time each took.
refused_times() {
    local username secret
    while read -r username secret; do
        post_login "$username" "$secret"
        [[ $status == 401 ]] || die "a refused sign-in for $username answered $status, not 401"
        echo "$millis"
    done
}
unknown_ms=$(for n in $(seq 15); do echo "nobody-$n $password"; done | refused_times | median)
wrong_ms=$(for _ in $(seq 5); do for account in 1 2 3; do
    echo "bench-wrong-$account $wrong_password"
done; done | refused_times | median)
throttled_ms=$(for _ in $(seq 15); do echo "bench-throttled $password"; done | refused_times | median)

log "timing commits"
# The median time of one commit with storage.sqlite.synchronous SETTING.
commit_ms() {
    LATCH__STORAGE__SQLITE__SYNCHRONOUS=$1 on_store "commits_$1" "$fixtures" commit-time 200 |
        sed -n 's/^commit_ms=//p'
}
commit_full_ms=$(commit_ms full)
commit_normal_ms=$(commit_ms normal)
store_file_system=$(stat -f -c %T "$work")

peak_rss_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
all_5xx=$(($(server_5xx) + other_servers_5xx))
socket_errors=0
non_2xx_3xx=0
for run in "$work"/wrk/*.out; do
    run=$(basename "$run" .out)
    socket_errors=$((socket_errors + $(figure "$run" socket_errors)))
    run_non_2xx_3xx=$(figure "$run" non_2xx_3xx)
    if [ "${run_non_2xx_3xx:-0}" -gt 0 ]; then
        log "wrk: $run had $run_non_2xx_3xx answers other than 2xx or 3xx"
    fi
    non_2xx_3xx=$((non_2xx_3xx + run_non_2xx_3xx))
done
load_after=$(cut -d ' ' -f 1-3 /proc/loadavg)

# The median over the page rounds of FIGURE in the runs NAME_1, NAME_2...
page_median() { for round in "${page_rounds[@]}"; do figure "${1}_$round" "$2"; done | median; }
health_rps=$(page_median health rps)
home_anonymous_rps=$(page_median home_anonymous rps)
home_signed_in_rps=$(page_median home_signed_in rps)
account_signed_in_rps=$(page_median account_signed_in rps)
verify_rps=$(page_median verify rps)
verify_vs_health=$(percent "$verify_rps" "$health_rps")
nginx_plain_rps=$(page_median nginx_plain rps)
nginx_forward_auth_rps=$(page_median nginx_forward_auth rps)
forward_auth_vs_plain=$(percent "$nginx_forward_auth_rps" "$nginx_plain_rps")
if [[ -n ${MONGODB_URI:-} ]]; then
    mongo_health_rps=$(page_median mongo_health rps)
    mongo_verify_rps=$(page_median mongo_verify rps)
    mongo_verify_vs_health=$(percent "$mongo_verify_rps" "$mongo_health_rps")
    mongo_results=(
        "mongodb_health_live_rps=$mongo_health_rps"
        "mongodb_verify_rps=$mongo_verify_rps"
        "mongodb_verify_vs_health_percent=$mongo_verify_vs_health"
    )
    mongo_row="| 12 | \`GET /auth/verify\` on MongoDB (MONGODB_URI), against \`GET /health/live\` on the same server | $mongo_verify_rps against $mongo_health_rps req/s: $mongo_verify_vs_health% | (reported) | |"
fi
ten_sessions_rps=$(for round in "${rounds[@]}"; do figure "ten_sessions_$round" rps; done | median)
many_sessions_rps=$(for round in "${rounds[@]}"; do figure "many_sessions_$round" rps; done | median)
login_rps=$(figure login rps)
login_ceiling_rps=$(awk -v cores="$cores" -v ms="$t_hash_ms" 'BEGIN { printf "%.1f", cores * 1000 / ms }')
flood_p99_ms=$(figure home_signed_in_flood p99_ms)
flood_home_rps=$(figure home_signed_in_flood rps)
flood_login_rps=$(figure flood rps)
peak_rss_mib=$(awk -v kib="$peak_rss_kib" 'BEGIN { printf "%.1f", kib / 1024 }')
signed_in_vs_health=$(percent "$home_signed_in_rps" "$health_rps")
login_vs_ceiling=$(percent "$login_rps" "$login_ceiling_rps")
sessions_100k_vs_10=$(percent "$many_sessions_rps" "$ten_sessions_rps")

results=(
    "cores=$cores"
    "duration_s=$seconds"
    "connections=$connections"
    "load_before=$load_before"
    "load_after=$load_after"
    "argon2=$argon2"
    "health_live_rps=$health_rps"
    "home_anonymous_rps=$home_anonymous_rps"
    "home_signed_in_rps=$home_signed_in_rps"
    "account_signed_in_rps=$account_signed_in_rps"
    "home_signed_in_vs_health_percent=$signed_in_vs_health"
    "t_hash_ms=$t_hash_ms"
    "t_hash_alone_ms=$t_hash_alone_ms"
    "login_rps=$login_rps"
    "login_ceiling_rps=$login_ceiling_rps"
    "login_vs_ceiling_percent=$login_vs_ceiling"
    "flood_home_signed_in_p99_ms=$flood_p99_ms"
    "flood_home_signed_in_rps=$flood_home_rps"
    "flood_login_rps=$flood_login_rps"
    "home_signed_in_10_sessions_rps=$ten_sessions_rps"
    "home_signed_in_100k_sessions_rps=$many_sessions_rps"
    "sessions_100k_vs_10_percent=$sessions_100k_vs_10"
    "peak_rss_mib=$peak_rss_mib"
    "failed_login_unknown_user_ms=$unknown_ms"
    "failed_login_wrong_password_ms=$wrong_ms"
    "failed_login_throttled_ms=$throttled_ms"
    "verify_rps=$verify_rps"
    "verify_vs_health_percent=$verify_vs_health"
    "nginx_plain_rps=$nginx_plain_rps"
    "nginx_forward_auth_rps=$nginx_forward_auth_rps"
    "nginx_forward_auth_vs_plain_percent=$forward_auth_vs_plain"
    ${mongo_results[@]+"${mongo_results[@]}"}
    "commit_full_ms=$commit_full_ms"
    "commit_normal_ms=$commit_normal_ms"
    "server_5xx=$all_5xx"
    "wrk_socket_errors=$socket_errors"
    "wrk_non_2xx_3xx=$non_2xx_3xx"
)
printf '%s\n' "${results[@]}"

# The table goes between the markers in BENCHMARKS.md; what the file says
# around it (the history, the profiling) stays.
begin_marker='<!-- bench.sh: from here -->'
end_marker='<!-- bench.sh: to here -->'
cat >"$work/table.md" <<EOF
$begin_marker
Measured by \`scripts/bench.sh ${seconds}s $connections\` on $(date -u '+%Y-%m-%d %H:%M UTC'):
$cores cores ($cpu_model), wrk and the server on the same cores, SQLite
store, Argon2id $argon2. Each wrk run lasts ${seconds} s with $connections
connections; figures 1 to 3 are medians of three runs each, taken in turns.
Load average (1, 5, 15 minutes) when the measuring began: $load_before;
from then on the benchmark itself keeps both cores busy.

| # | Figure | Measured | Target | Met |
| --- | --- | --- | --- | --- |
| 1 | \`GET /health/live\` | $health_rps req/s | (the ceiling for a page) | |
| 2 | \`GET /\` anonymous | $home_anonymous_rps req/s | | |
| 3 | \`GET /\` signed in (10 sessions stored) | $home_signed_in_rps req/s, $signed_in_vs_health% of (1) | at least 60% of (1) | $(meets "$signed_in_vs_health" at_least 60) |
| 3 | \`GET /account\` signed in | $account_signed_in_rps req/s | | |
| 4 | \`POST /login\`, right password | $login_rps logins/s, $login_vs_ceiling% of cores / t_hash = $login_ceiling_rps (t_hash = $t_hash_ms ms with every core hashing; $t_hash_alone_ms ms alone) | at least 80% of cores / t_hash | $(meets "$login_vs_ceiling" at_least 80) |
| 5 | \`GET /\` signed in during a \`POST /login\` flood | p99 $flood_p99_ms ms, $flood_home_rps req/s (flood: $flood_login_rps logins/s) | p99 at most 50 ms | $(meets "$flood_p99_ms" at_most 50) |
| 6 | \`GET /\` signed in, 100,010 sessions stored against 10 (two servers, medians of 5 runs each, taking turns) | $many_sessions_rps against $ten_sessions_rps req/s: $sessions_100k_vs_10% | at least 90% | $(meets "$sessions_100k_vs_10" at_least 90) |
| 7 | Peak RSS of the server | $peak_rss_mib MiB | at most 160 MiB | $(meets "$peak_rss_mib" at_most 160) |
| 8 | Refused sign-in, median: unknown user / wrong password / throttled | $unknown_ms / $wrong_ms / $throttled_ms ms | about the same | |
| 9 | One commit (a session written alone), median of 200, \`storage.sqlite.synchronous\` = \`full\` (the default) / \`normal\`, on $store_file_system | $commit_full_ms / $commit_normal_ms ms | | |
| 10 | \`GET /auth/verify\` with a session cookie | $verify_rps req/s, $verify_vs_health% of (1) | at least 80% of (1) | $(meets "$verify_vs_health" at_least 80) |
| 11 | A page through nginx with forward auth, against nginx alone | $nginx_forward_auth_rps against $nginx_plain_rps req/s: $forward_auth_vs_plain% | at least 70% | $(meets "$forward_auth_vs_plain" at_least 70) |
$mongo_row
| | 5xx answers over the whole run | $all_5xx | none | $(meets "$all_5xx" at_most 0) |

wrk socket errors over all runs: $socket_errors; answers other than 2xx or 3xx
in the wrk runs: $non_2xx_3xx.
$end_marker
EOF
benchmarks=$root/BENCHMARKS.md
if [[ -f $benchmarks ]] && grep -qF "$begin_marker" "$benchmarks" && grep -qF "$end_marker" "$benchmarks"; then
    awk -v begin="$begin_marker" -v end="$end_marker" -v table="$work/table.md" '
        $0 == begin { while ((getline line < table) > 0) print line; skipping = 1; next }
        $0 == end { skipping = 0; next }
        !skipping { print }' "$benchmarks" >"$work/BENCHMARKS.md"
else
    { printf '# Benchmarks\n\n'; cat "$work/table.md"; } >"$work/BENCHMARKS.md"
fi
cp "$work/BENCHMARKS.md" "$benchmarks"
log "wrote the table in BENCHMARKS.md"
