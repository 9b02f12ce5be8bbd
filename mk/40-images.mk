# Images: the shared base image, the thin service images, the Debian path, and the fleet
# as containers. Scripts live in scripts/images/, checks in tests/images/.
#
# Two ways to build the same Dockerfiles:
#   make images          on the official python and uv images (pinned by digest in base-image/Dockerfile)
#   make images-debian   on a Python base made from Debian trixie packages (no registry pulls, needs
#                        root for debootstrap); only where asked: FLEET_IMAGES_BASE=debian, which the
#                        CI of a machine that cannot pull images sets (.ci/run)
# DOCKER_BUILD_NETWORK=host gives build steps the host's network (an engine with no bridge); it is
# off for `make images` unless set, and the Debian path sets it (DEBIAN_BUILD_NETWORK).
# EXTRA_CA_BUNDLE=<pem> hands extra CA certificates to every download of a build (networks that
# intercept TLS); it is off unless set.
IMAGE_PREFIX ?= fleet
IMAGE_TAG ?= dev
UV_IMAGE_VERSION ?= 0.13.0
DEBIAN_PYTHON_IMAGE ?= $(IMAGE_PREFIX)/python:3.13-trixie
DEBIAN_UV_IMAGE ?= $(IMAGE_PREFIX)/uv:$(UV_IMAGE_VERSION)
EXTRA_CA_BUNDLE ?=
DEBIAN_BUILD_NETWORK ?= host
# official (default): make images on the pinned official images; debian: the Debian path.
FLEET_IMAGES_BASE ?= official
CHECKOV_VERSION ?= 3.3.30
IMAGES_DOCKERFILES := base-image/Dockerfile base-image/debian/uv.Dockerfile services/Dockerfile
# Generous credential-route limits: the e2e suite registers many users from one address.
FLEET_CONTAINERS_ENV ?= --env RATE_LIMIT_STRICT_RPS=200 --env RATE_LIMIT_STRICT_BURST=2000
FLEET_CONTAINERS := $(PY) python scripts/images/fleet_containers.py
export IMAGE_PREFIX IMAGE_TAG EXTRA_CA_BUNDLE

.PHONY: docker-up
docker-up: ## Install docker.io + debootstrap when missing; start dockerd (no bridge) when none answers.
	bash scripts/images/docker-up.sh

.PHONY: docker-down
docker-down: ## Stop the dockerd that docker-up started (and no other).
	bash scripts/images/docker-down.sh

.PHONY: base-image-debian
base-image-debian: docker-up ## Python 3.13 and uv images from Debian trixie packages (debootstrap; cached in .cache/).
	UV_VERSION=$(UV_IMAGE_VERSION) PYTHON_IMAGE_DEBIAN=$(DEBIAN_PYTHON_IMAGE) UV_IMAGE_DEBIAN=$(DEBIAN_UV_IMAGE) \
		bash scripts/images/debian-base.sh

.PHONY: images
images: ## Build the base and every service image on the pinned official python/uv images.
	bash scripts/images/build.sh

.PHONY: images-debian
images-debian: base-image-debian ## Build the base and every service image on the Debian-built base.
	PYTHON_IMAGE=$(DEBIAN_PYTHON_IMAGE) UV_IMAGE=$(DEBIAN_UV_IMAGE) DOCKER_BUILD_NETWORK=$(DEBIAN_BUILD_NETWORK) \
		bash scripts/images/build.sh

.PHONY: images-lint
images-lint: ## hadolint (.hadolint.yaml) and checkov's Dockerfile checks over every Dockerfile.
	$(PY) hadolint $(IMAGES_DOCKERFILES)
	uvx --from 'checkov==$(CHECKOV_VERSION)' checkov --quiet --compact --skip-download --framework dockerfile \
		$(addprefix --file ,$(IMAGES_DOCKERFILES))

.PHONY: images-report
images-report: ## Print each image's layers and sizes and each service's docker run -> /readyz time.
	$(PY) python scripts/images/measure.py

.PHONY: fleet-containers-up
fleet-containers-up: ## Run the built fleet as containers (host network, ports 8101-8103) on the host PostgreSQL.
	$(FLEET_CONTAINERS) up $(FLEET_CONTAINERS_ENV)
	$(FLEET_CONTAINERS) urls

.PHONY: fleet-containers-down
fleet-containers-down: ## Remove the fleet's containers and drop their databases.
	$(FLEET_CONTAINERS) down

# The CA bundle of this side's own tools (SSL_CERT_FILE) stands in when EXTRA_CA_BUNDLE is unset, so
# CI on a TLS-intercepting network builds; it is said out loud. FLEET_CI_IMAGES=0 (the switch .ci/run
# reads too) skips the whole tier, loudly, on machines with no Docker.
IMAGES_CA_BUNDLE = $(or $(EXTRA_CA_BUNDLE),$(SSL_CERT_FILE))
ifeq ($(FLEET_IMAGES_BASE),debian)
IMAGES_BUILD := images-debian
IMAGES_TEST_ENV := PYTHON_IMAGE=$(DEBIAN_PYTHON_IMAGE) UV_IMAGE=$(DEBIAN_UV_IMAGE) DOCKER_BUILD_NETWORK=$(DEBIAN_BUILD_NETWORK)
else ifeq ($(FLEET_IMAGES_BASE),official)
IMAGES_BUILD := images
IMAGES_TEST_ENV :=
else
$(error FLEET_IMAGES_BASE=$(FLEET_IMAGES_BASE): expected official (the pinned official images) or debian)
endif
.PHONY: test-images
test-images: ## Build the images (FLEET_IMAGES_BASE: official or debian), run the fleet in containers, tests/e2e and tests/images against it.
ifeq ($(FLEET_CI_IMAGES),0)
	@echo "test-images: SKIPPED (FLEET_CI_IMAGES=0): no image was built or tested"
else
	@echo "test-images: building on the $(FLEET_IMAGES_BASE) base images (make $(IMAGES_BUILD))"
	$(MAKE) k8s-tools  # tests/images reads the chart's memory limit through helm template
	@if [[ -z "$(EXTRA_CA_BUNDLE)" && -n "$(SSL_CERT_FILE)" ]]; then \
		echo "test-images: EXTRA_CA_BUNDLE unset; the builds trust SSL_CERT_FILE=$(SSL_CERT_FILE)"; fi
	$(MAKE) $(IMAGES_BUILD) EXTRA_CA_BUNDLE="$(IMAGES_CA_BUNDLE)"
	$(MAKE) fleet-containers-down
	status=0; \
	$(MAKE) fleet-containers-up || status=$$?; \
	if [[ $$status == 0 ]]; then \
		$(PY) python scripts/e2e_against.py $$($(FLEET_CONTAINERS) urls) || status=$$?; \
		$(IMAGES_TEST_ENV) EXTRA_CA_BUNDLE="$(IMAGES_CA_BUNDLE)" $(PY) pytest tests/images || status=$$?; \
		$(PY) python scripts/images/measure.py --runs 1 || status=$$?; \
	fi; \
	$(MAKE) fleet-containers-down || status=$$?; \
	exit $$status
endif

.PHONY: images-clean
images-clean: ## Remove the fleet images and the cached Debian root filesystem.
	-docker image ls --format '{{.Repository}}:{{.Tag}}' | grep '^$(IMAGE_PREFIX)/' | xargs -r docker rmi
	rm -rf .cache/images

LINT_TARGETS += images-lint
# The images tier needs a Docker engine; the Debian path also needs root (debootstrap, dockerd), as CI
# here has (~4 min cold, ~2 warm). FLEET_CI_IMAGES=0 skips it, loudly.
TEST_TARGETS += test-images
