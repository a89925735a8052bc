// The whole public API of switchyard in one include.
#pragma once

#include <switchyard/backends.hpp>
#include <switchyard/calibrate.hpp>
#include <switchyard/config.h>
#include <switchyard/device_array.hpp>
#include <switchyard/element.hpp>
#include <switchyard/engine.hpp>
#include <switchyard/error.hpp>
#include <switchyard/log.hpp>
#include <switchyard/op.hpp>
#include <switchyard/options.hpp>
#include <switchyard/predicates.hpp>
#include <switchyard/reduce.hpp>
#include <switchyard/shared_array.hpp>
#include <switchyard/transform_reduce.hpp>
