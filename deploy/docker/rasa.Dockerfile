# The Rasa server with the trained model baked in (and the chat page, served by the
# same image as a separate Deployment: `python -m bot.web.serve`).
# Build from the repository root:
#   docker build -f deploy/docker/rasa.Dockerfile -t heavylegs-rasa:0.1.0 .
# BuildKit reads deploy/docker/rasa.Dockerfile.dockerignore for the context.

# 1. The chat page: socket.io-client from the npm lock (no CDN at run time).
FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund --loglevel=error
COPY web/src web/src
COPY scripts/build_web.sh scripts/
RUN scripts/build_web.sh

# 2. Install the exact pins, build the spaCy pipeline and train the model.
FROM python:3.10-slim-bookworm AS build
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false
WORKDIR /app
RUN python -m venv /venv && /venv/bin/pip install --quiet "pip==24.0"
COPY requirements.lock pyproject.toml ./
RUN /venv/bin/pip install --quiet --no-deps -r requirements.lock
COPY bot bot
COPY actions actions
RUN /venv/bin/pip install --quiet --no-deps --no-build-isolation .
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY data data
COPY channels channels
COPY scripts/train_if_needed.py scripts/
RUN /venv/bin/python -m bot.nlp.pipeline && /venv/bin/python scripts/train_if_needed.py \
    && test -s models/current

# 3. Runtime: the venv, the code, the pipeline and one model; no compilers, no data.
FROM python:3.10-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false HOME=/tmp MPLCONFIGDIR=/tmp \
    TF_INTRA_OP_PARALLELISM_THREADS=1 TF_INTER_OP_PARALLELISM_THREADS=1
# Sanic (Rasa's web server, docs/security.md): bodies over 1 MiB refused before they are
# read, 15 s to send the headers. BOT_SESSION_SECRET comes from the Secret at run time.
ENV SANIC_REQUEST_MAX_SIZE=1048576 SANIC_REQUEST_TIMEOUT=15
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin rasa
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /app/bot bot
COPY --from=build /app/build/spacy_pipeline build/spacy_pipeline
COPY --from=build /app/config.yml /app/domain.yml /app/credentials.yml ./
COPY --from=build /app/channels channels
COPY --from=build /app/models models
COPY --from=web /src/build/web build/web
COPY deploy/docker/rasa-entrypoint.sh /usr/local/bin/rasa-entrypoint.sh
USER 10001
EXPOSE 5005 8080
ENTRYPOINT ["/usr/local/bin/rasa-entrypoint.sh"]
