public class Stats {
    static double mean(double[] values) {
        double sum = 0;
        for (double value : values) {
            sum += value;
        }
        return sum / values.length;
    }

    static double median(double[] values) {
        return values[values.length / 2];
    }
}
