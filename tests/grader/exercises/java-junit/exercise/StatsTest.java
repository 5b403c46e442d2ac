import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatsTest {
    @Test
    void mean() {
        assertEquals(2.5, Stats.mean(new double[] {1, 2, 3, 4}), 1e-9);
    }

    @ParameterizedTest
    @CsvSource({"'1,3,2', 2", "'4,1,3,2', 2.5", "'7', 7"})
    void median(String numbers, double expected) {
        double[] values = java.util.Arrays.stream(numbers.split(",")).mapToDouble(Double::parseDouble).toArray();
        assertEquals(expected, Stats.median(values), 1e-9);
    }

    @Test
    void emptyIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Stats.mean(new double[0]));
    }
}
