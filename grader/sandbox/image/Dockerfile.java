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
     /opt/grader/
# Root with only CAP_SETUID/CAP_SETGID (the sandbox adds them): the runner gives every step
# a uid of its own. Student code never runs as root.
USER 0:0
