# Production runner image for C: gcc for the student's code, python3 for the runner.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev python3 \
 && rm -rf /var/lib/apt/lists/*
COPY runner.py grader_pytest_report.py /opt/grader/
USER 65534:65534
