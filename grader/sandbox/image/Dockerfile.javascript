# Production runner image for JavaScript: Debian's Node.js for the student's code, python3 for
# the runner. CI builds the same contents offline from a Debian rootfs (grader/images.py).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs python3 \
 && rm -rf /var/lib/apt/lists/*
COPY runner.py forkserver.py warm.py scratch.py spawn.py spawn.c grader_pytest_report.py \
     /opt/grader/
# Root with only CAP_SETUID/CAP_SETGID (the sandbox adds them): the runner gives every step
# a uid of its own. Student code never runs as root.
USER 0:0
