// Run once when the Java runner image is built, under -XX:ArchiveClassesAtExit: the classes
// JUnit's console launcher, Jupiter and its parameterized tests load go into a class-data
// archive (/opt/grader/junit.jsa) that every unit-test run then maps instead of loading them,
// which halves its start-up. Nothing of it is in the graded runs.
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WarmupTest {
    @Test
    void passes() {
        assertEquals(2, 1 + 1);
    }

    @Test
    void fails() {
        assertEquals(3, 1 + 1, "a failure's report is archived too");
    }

    @ParameterizedTest
    @CsvSource({"1, 2", "2, 3"})
    void table(int a, int b) {
        assertEquals(b, a + 1);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void values(int a) {
        assertEquals(a, a);
    }
}
