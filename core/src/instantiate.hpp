// Explicit instantiation of a public reduction for the five element types.
#pragma once

#define SWITCHYARD_FOR_EACH_ELEMENT_TYPE(X) \
  X(float) X(double) X(std::int32_t) X(std::int64_t) X(std::uint8_t)
