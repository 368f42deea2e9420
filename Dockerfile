FROM node:20-bookworm-slim AS widget
WORKDIR /src/widget
COPY widget/package.json widget/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY widget/ ./
RUN npm run build

FROM node:20-bookworm-slim AS console
WORKDIR /src/console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/ ./
RUN mkdir -p ../gateway/console/static && npm run build

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY channels channels
COPY agent_graph agent_graph
COPY store store
COPY --from=widget /src/widget/dist widget/dist
COPY --from=console /src/gateway/console/static/build gateway/console/static/build
RUN pip install --no-cache-dir .
ENV AUTOCRM_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
CMD ["autocrm", "serve", "--host", "0.0.0.0", "--port", "8000"]
