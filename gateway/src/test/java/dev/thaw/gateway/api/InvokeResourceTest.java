package dev.thaw.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InvokeResourceTest {
    @Test
    void formatsMillisecondsWithThreeDecimals() {
        assertEquals("0.000", InvokeResource.millis(0));
        assertEquals("0.005", InvokeResource.millis(5_000));
        assertEquals("0.042", InvokeResource.millis(42_999));
        assertEquals("1.250", InvokeResource.millis(1_250_000));
        assertEquals("1234.567", InvokeResource.millis(1_234_567_000));
    }
}
