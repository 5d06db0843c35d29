# branchbot: one image for polling, webhook and several instances.
# Build: docker build -t branchbot .   (mirrors for mainland China: see README, "Operators")
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
FROM ${PYTHON_IMAGE}

# Debian and PyPI mirrors are build arguments, so a server in China can build without the
# default hosts: --build-arg DEBIAN_MIRROR=https://mirrors.tuna.tsinghua.edu.cn ...
ARG DEBIAN_MIRROR=""
ARG PIP_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chinese charts need a CJK font: Noto Sans CJK (SIL Open Font License) from Debian.
RUN if [ -n "$DEBIAN_MIRROR" ]; then \
        sed -i "s|http://deb.debian.org|$DEBIAN_MIRROR|g" /etc/apt/sources.list.d/debian.sources; \
    fi \
    && apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/branchbot
# Dependencies from the lock file, every one checked against its hash.
COPY requirements/base.lock requirements/base.lock
RUN pip install ${PIP_INDEX_URL:+--index-url "$PIP_INDEX_URL"} --require-hashes \
        -r requirements/base.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot bot
COPY handlers handlers
COPY reminders reminders
COPY rules rules
COPY storage storage
RUN pip install --no-deps .

# Not root: the bot owns only its data directory (SQLite file, stored evidence).
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin branchbot \
    && mkdir -p /data && chown branchbot:branchbot /data
USER branchbot
WORKDIR /data
VOLUME ["/data"]
# /healthz and /metrics listen apart from the public port, on loopback unless
# BRANCHBOT_METRICS_HOST says otherwise: the health check below runs inside the container.
ENV BRANCHBOT_DATABASE_URL=sqlite+aiosqlite:////data/branchbot.db \
    BRANCHBOT_WEB_HOST=0.0.0.0 \
    BRANCHBOT_WEB_PORT=8081 \
    BRANCHBOT_METRICS_PORT=8082
EXPOSE 8081

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BRANCHBOT_METRICS_PORT', '8082'), timeout=4)"]

ENTRYPOINT ["branchbot"]
CMD ["run"]
