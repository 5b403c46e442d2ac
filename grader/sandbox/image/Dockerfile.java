# Production runner image for Java: OpenJDK 17 (headless) and JUnit 5 from Debian for the
# student's code and the teacher's tests, python3 for the runner. CI builds the same contents
# offline from a Debian rootfs (grader/images.py). The JVM's flags: grader/languages.py.
FROM debian:bookworm-slim
# openjdk's postinst wants the man directories debian:bookworm-slim leaves out.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless junit5 python3 \
 && rm -rf /var/lib/apt/lists/*
COPY runner.py forkserver.py warm.py scratch.py spawn.py spawn.c grader_pytest_report.py \
     WarmupTest.java /opt/grader/
# The classes a JUnit run loads, archived once (grader/images.py junit_archive_build: the same
# JVM flags as the graded runs); unit-test runs map it and start in about half the time.
RUN mkdir /tmp/cds && cd /tmp/cds && cp /opt/grader/WarmupTest.java . \
 && javac -cp .:/usr/share/java/junit-platform-console-standalone.jar -d . WarmupTest.java \
 && (java -Xmx256m -Xms32m -Xss8m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
       -XX:CICompilerCount=1 -Xshare:auto -XX:-UsePerfData -XX:MaxMetaspaceSize=128m \
       -XX:ReservedCodeCacheSize=32m -XX:MaxDirectMemorySize=64m \
       -XX:ArchiveClassesAtExit=/opt/grader/junit.jsa \
       -jar /usr/share/java/junit-platform-console-standalone.jar --class-path=. \
       --select-class=WarmupTest --disable-banner --details=none --reports-dir=. \
       > /dev/null || true) \
 && test -s /opt/grader/junit.jsa && cd / && rm -rf /tmp/cds
# Root with only CAP_SETUID/CAP_SETGID (the sandbox adds them): the runner gives every step
# a uid of its own. Student code never runs as root.
USER 0:0
