# trailbot's production image, built by `cdk deploy` (infra/: ContainerImage.fromAsset of this folder).
# The build context is limited by .dockerignore to what the bot runs: package manifests, src/, commands/, sql/.
# ECR Public's mirror of the official Node image: no Docker Hub pull limits when CodeBuild or a laptop builds it.
FROM public.ecr.aws/docker/library/node:20-bookworm-slim AS deps
WORKDIR /app
# The lockfile names the infra workspace, so its package.json must be present for `npm ci`; its packages (CDK) are
# development dependencies and are left out with --omit=dev.
COPY package.json package-lock.json ./
COPY infra/package.json infra/package.json
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM public.ecr.aws/docker/library/node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY commands ./commands
COPY sql ./sql
# The task runs with a read-only root file system; these two paths are ECS bind-mount volumes. ECS copies a VOLUME
# path's ownership from the image into the volume, so the unprivileged `node` user can write there
# (docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html).
RUN mkdir -p /app/results && chown node:node /app/results
VOLUME ["/tmp", "/app/results"]
USER node
# tsx runs the TypeScript sources directly, in the node process itself (no child process between ECS and the bot).
CMD ["node", "--import", "tsx", "src/main.ts"]
