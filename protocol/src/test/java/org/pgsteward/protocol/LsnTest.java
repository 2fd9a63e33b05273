package org.pgsteward.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {

    @ParameterizedTest
    @ValueSource(strings = {"0/0", "0/3000060", "16/B374D848", "FFFFFFFF/FFFFFFFF", "1/0", "A/1"})
    void givenPostgresText_whenParsedAndPrinted_thenSameText(String text) {
        assertEquals(text, Lsn.parse(text).toString());
    }

    @Test
    void givenText_whenParsed_thenValueIsHighAndLowHalves() {
        assertEquals(0x3000060L, Lsn.parse("0/3000060").value());
        assertEquals((0x16L << 32) | 0xB374D848L, Lsn.parse("16/B374D848").value());
        assertEquals(-1L, Lsn.parse("FFFFFFFF/FFFFFFFF").value());
        assertEquals(Lsn.parse("16/B374D848"), Lsn.parse("16/b374d848"), "lower-case hex accepted");
        assertEquals(Lsn.ZERO, Lsn.parse("0/0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "0/", "/0", "0", "0/0/0", "G/0", "0/-1", "+1/0", "123456789/0", "0/123456789", " 0/0"})
    void givenGarbage_whenParsed_thenIllegalArgument(String text) {
        var e = assertThrows(IllegalArgumentException.class, () -> Lsn.parse(text));
        assertTrue(e.getMessage().contains("not an LSN"), e.getMessage());
    }

    @Test
    void givenLsns_whenCompared_thenUnsignedWalOrder() {
        Lsn low = Lsn.parse("0/FFFFFFFF");
        Lsn mid = Lsn.parse("1/0");
        Lsn top = Lsn.parse("FFFFFFFF/0"); // negative as a signed long: must still sort last
        var list = new ArrayList<>(List.of(top, mid, low));
        Collections.sort(list);
        assertEquals(List.of(low, mid, top), list);
        assertEquals(top, Lsn.max(mid, top));
        assertEquals(mid, Lsn.max(mid, low));
    }

    @Test
    void givenTwoLsns_whenBytesSince_thenWalDistance() {
        assertEquals(1L, Lsn.parse("1/0").bytesSince(Lsn.parse("0/FFFFFFFF")));
        assertEquals(0x60L, Lsn.parse("0/3000060").bytesSince(Lsn.parse("0/3000000")));
        assertEquals(-0x60L, Lsn.parse("0/3000000").bytesSince(Lsn.parse("0/3000060")));
    }

    @Test
    void givenLsn_whenJacksonRoundTrip_thenEqual() throws Exception {
        var mapper = new ObjectMapper();
        Lsn lsn = Lsn.parse("16/B374D848");
        String json = mapper.writeValueAsString(lsn);
        assertEquals("{\"value\":" + lsn.value() + "}", json);
        assertEquals(lsn, mapper.readValue(json, Lsn.class));
    }
}
