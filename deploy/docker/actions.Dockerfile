# The action server (rasa_sdk behind the project's token check, bot/security/action_server.py)
# with the project's actions and knowledge files.
# Build from the repository root:
#   docker build -f deploy/docker/actions.Dockerfile -t heavylegs-actions:0.1.0 .
FROM python:3.10-slim-bookworm AS build
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN python -m venv /venv && /venv/bin/pip install --quiet "pip==24.0"
COPY requirements.lock pyproject.toml ./
RUN /venv/bin/pip install --quiet --no-deps -r requirements.lock
COPY bot bot
COPY actions actions
RUN /venv/bin/pip install --quiet --no-deps --no-build-isolation .
# the learned cause opinion, fitted from bot/knowledge/story_examples.yml (plain JSON)
RUN /venv/bin/python -m bot.triage.cause_opinion

FROM python:3.10-slim-bookworm
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin actions
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /app/bot bot
COPY --from=build /app/actions actions
COPY --from=build /app/build/cause_opinion build/cause_opinion
COPY migrations migrations
COPY alembic.ini ./
USER 10001
EXPOSE 5055
# DATABASE_URL and ACTIONS_TOKEN (Secrets) must be set: without a token of at least 16
# characters the server refuses to start. The migrations run as a Job (deploy/k8s/migrate-job.yaml).
CMD ["python", "-m", "bot.security.action_server", "--actions", "actions", "--host", "0.0.0.0", "--port", "5055"]
