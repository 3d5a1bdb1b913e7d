# The service's container image: `make image` (docker build -t prisoner-to-nomis-update:<version> .).
# The same image runs the service (`serve`, the default) and the batch CronJobs (`batch <TYPE>`).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: a virtual environment with the hash-pinned runtime dependencies and the package ----------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
# requirements-runtime.lock is requirements.lock without the dev extra: the same versions and hashes
# (tests/deploy/test_image.py holds them equal), plus the pinned setuptools that builds our package.
COPY requirements-runtime.lock /build/
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /build/requirements-runtime.lock
COPY pyproject.toml README.md /build/
COPY src /build/src
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation /build \
    && /opt/venv/bin/pip uninstall --yes setuptools

# ---- runtime: the interpreter, the virtual environment and an unprivileged user --------------------
FROM ${PYTHON_IMAGE} AS runtime
# UID/GID 2000 as the HMPPS base images, so pod securityContexts (runAsNonRoot) work unchanged.
RUN groupadd --system --gid 2000 appgroup \
    && useradd --system --uid 2000 --gid appgroup --home-dir /app --no-create-home appuser \
    && mkdir /app && chown appuser:appgroup /app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVER_PORT=8080
WORKDIR /app
USER 2000
EXPOSE 8080
# The slim image has no curl; urlopen fails (non-zero exit) on a refused connection or a non-2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SERVER_PORT', '8080') + '/health/ping', timeout=4)"]
ENTRYPOINT ["prisoner-to-nomis-update"]
CMD ["serve"]
