#!/usr/bin/env bash
# dynamodb-local.sh — AWS's own DynamoDB Local 1.25.1 (the real Amazon jar, shipped
# inside the npm package amplify-dynamodb-simulator), run on Java 17, bound to
# 127.0.0.1 only. Used by tests/e2e/test_dynamodb.sh.
#
#   dynamodb-local.sh install              # npm pack + untar + compile launcher (idempotent)
#   dynamodb-local.sh start PORT           # prints the PID on stdout once the port answers
#   dynamodb-local.sh stop PID             # stops that process (and only that one)
#
# Install directory: $SLUICE_CACHE/dynamodb-local, SLUICE_CACHE defaulting to
# $HOME/.cache/sluice (kept across `make clean`). Needs java + javac (17), npm, curl, ss.
# PORT must be below 32768 (the kernel hands 32768-60999 to outgoing connections).
#
# Two things are deliberate and must stay:
#  - Stock DynamoDBLocal.jar has no bind-address flag and binds 0.0.0.0; the small
#    launcher below sets the Jetty connector's host to 127.0.0.1 before starting.
#  - 1.25.1 contacts AWS (Cognito + Pinpoint) at start even with -disableTelemetry;
#    only the environment variable DDB_LOCAL_TELEMETRY=0 stops it. Both are set.
set -euo pipefail
VERSION=2.9.30            # amplify-dynamodb-simulator version -> DynamoDB Local 1.25.1
cmd=${1:-}; shift || true
dir="${SLUICE_CACHE:-${HOME:?}/.cache/sluice}/dynamodb-local"

install() {
  if [ -f "$dir/emulator/DdbLoopback.class" ]; then return 0; fi
  mkdir -p "$dir"
  ( cd "$dir"
    npm pack --silent "amplify-dynamodb-simulator@$VERSION" >/dev/null 2>npm-pack.log
    tar xzf "amplify-dynamodb-simulator-$VERSION.tgz" --strip-components=1 package/emulator
    rm -f "amplify-dynamodb-simulator-$VERSION.tgz" )
  cat > "$dir/emulator/DdbLoopback.java" <<'EOF'
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
/* DynamoDB Local with its Jetty connector bound to -Dddb.host (default 127.0.0.1). */
public class DdbLoopback {
    public static void main(String[] args) throws Exception {
        String host = System.getProperty("ddb.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field f = DynamoDBProxyServer.class.getDeclaredField("server");
        f.setAccessible(true);
        Server server = (Server) f.get(proxy);
        for (Connector c : server.getConnectors())
            if (c instanceof ServerConnector) ((ServerConnector) c).setHost(host);
        try { proxy.start(); }
        catch (Throwable t) { t.printStackTrace(); System.exit(1); } // else the JVM lingers
        proxy.join();
    }
}
EOF
  ( cd "$dir/emulator" && javac -cp DynamoDBLocal.jar -d . DdbLoopback.java )
}

start() {
  local port=${1:?usage: start PORT}
  if [ "$port" -ge 32768 ]; then echo "port $port: use a port below 32768" >&2; exit 2; fi
  install
  if ss -ltnH "sport = :$port" | grep -q .; then echo "port $port already in use" >&2; exit 1; fi
  local log="$dir/dynamodb-$port.log"
  ( cd "$dir/emulator" && export DDB_LOCAL_TELEMETRY=0 && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib \
      -Dddb.host=127.0.0.1 -cp DynamoDBLocal.jar:. DdbLoopback -inMemory -port "$port" -disableTelemetry ) \
      >"$log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 600); do            # up to 60 s
    if ! kill -0 "$pid" 2>/dev/null; then echo "DynamoDB Local died, see $log" >&2; exit 1; fi
    # any HTTP answer (400 MissingAuthenticationToken to a bare GET) means it is up
    if curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/"; then echo "$pid"; return 0; fi
    sleep 0.1
  done
  echo "DynamoDB Local did not answer on $port, see $log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

stop() {
  local pid=${1:?usage: stop PID}
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: $0 install | start PORT | stop PID" >&2; exit 2 ;;
esac
