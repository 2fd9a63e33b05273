package org.pgsteward.supervisor.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Host:port matching between the primary's conninfo and a standby's streamingFrom ({@link PgEndpoint}). */
class FailoverPolicyEndpointTest {

    static Stream<Arguments> conninfos() {
        return Stream.of(
                Arguments.of("host=10.0.0.1 port=5432 user=repmgr", List.of("10.0.0.1:5432")),
                Arguments.of("host=10.0.0.1 user=repmgr", List.of("10.0.0.1:5432")),
                Arguments.of("port=5433 host=DB1.Example", List.of("db1.example:5433")),
                Arguments.of("host = 10.0.0.1  port = 6000", List.of("10.0.0.1:6000")),
                Arguments.of("host='10.0.0.1' port='5433' password='a b\\'c'", List.of("10.0.0.1:5433")),
                Arguments.of("host=localhost port=5433", List.of("127.0.0.1:5433")),
                Arguments.of("hostaddr=10.0.0.9 port=5433", List.of("10.0.0.9:5433")),
                Arguments.of("host=db1 hostaddr=10.0.0.9", List.of("db1:5432")),
                Arguments.of("host=a,b port=5433,5434", List.of("a:5433", "b:5434")),
                Arguments.of("host=a,b port=5433", List.of("a:5433", "b:5433")),
                Arguments.of("host=::1 port=5433", List.of("127.0.0.1:5433")),
                Arguments.of("postgresql://repmgr@10.0.0.1:5433/db?sslmode=require", List.of("10.0.0.1:5433")),
                Arguments.of("postgres://[fe80::1]:5433,10.0.0.2/db", List.of("[fe80::1]:5433", "10.0.0.2:5432")),
                // no TCP address, or malformed: nothing can match
                Arguments.of("host=/var/run/postgresql port=5432", List.of()),
                Arguments.of("dbname=x user=y", List.of()),
                Arguments.of("", List.of()),
                Arguments.of("host=10.0.0.1 port=notaport", List.of()),
                Arguments.of("host=10.0.0.1 port=70000", List.of()),
                Arguments.of("host='10.0.0.1 port=5432", List.of()),
                Arguments.of("host=a,b,c port=1,2", List.of()),
                Arguments.of("garbage", List.of()));
    }

    @ParameterizedTest(name = "[{index}] '{0}'")
    @MethodSource("conninfos")
    void givenConninfo_whenParsed_thenEndpoints(String conninfo, List<String> expected) {
        List<String> got = PgEndpoint.fromConninfo(conninfo).stream().map(PgEndpoint::toString).toList();

        assertEquals(expected, got);
    }

    static Stream<Arguments> hostPorts() {
        return Stream.of(
                Arguments.of("10.0.0.1:5432", Optional.of("10.0.0.1:5432")),
                Arguments.of(" 10.0.0.1:5433 ", Optional.of("10.0.0.1:5433")),
                Arguments.of("localhost:5433", Optional.of("127.0.0.1:5433")),
                Arguments.of("DB1:5433", Optional.of("db1:5433")),
                Arguments.of("db1", Optional.of("db1:5432")),
                Arguments.of("[::1]:5433", Optional.of("127.0.0.1:5433")),
                Arguments.of("[fe80::1]:5433", Optional.of("[fe80::1]:5433")),
                Arguments.of("fe80::1", Optional.of("[fe80::1]:5432")),
                Arguments.of("", Optional.empty()),
                Arguments.of(":5432", Optional.empty()),
                Arguments.of("db1:x", Optional.empty()),
                Arguments.of("[::1", Optional.empty()),
                Arguments.of("/tmp:5432", Optional.empty()));
    }

    @ParameterizedTest(name = "[{index}] '{0}'")
    @MethodSource("hostPorts")
    void givenHostPort_whenParsed_thenEndpoint(String hostPort, Optional<String> expected) {
        assertEquals(expected, PgEndpoint.fromHostPort(hostPort).map(PgEndpoint::toString));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:5433", "127.0.0.1:5433", "[::1]:5433", "LOCALHOST:5433"})
    void givenLoopbackSpellings_whenCompared_thenSameServer(String streamingFrom) {
        assertEquals(PgEndpoint.fromConninfo("host=localhost port=5433"),
                List.of(PgEndpoint.fromHostPort(streamingFrom).orElseThrow()));
        assertEquals(PgEndpoint.fromConninfo("host=127.0.0.1 port=5433"),
                List.of(PgEndpoint.fromHostPort(streamingFrom).orElseThrow()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:5432", "10.0.0.2:5433", "db1:5433"})
    void givenOtherPortOrHost_whenCompared_thenDifferentServer(String streamingFrom) {
        assertNotEquals(PgEndpoint.fromConninfo("host=10.0.0.2 port=5432"),
                List.of(PgEndpoint.fromHostPort(streamingFrom).orElseThrow()));
    }
}
